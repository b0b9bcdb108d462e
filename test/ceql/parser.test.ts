import { describe, expect, it } from 'vitest';
import { CeqlSyntaxError, type ElementErrorLike, parseOrderBy, parseWhere } from './helpers/ceql';
import { strip } from './helpers/strip';

const bare = (where: string) => strip(parseWhere(where));
const cmp = (field: string, operator: string, kind: string, value: unknown) => ({
  kind: 'compare',
  field,
  operator,
  value: { kind, value },
});

/** The error a parse throws (fails the test when it does not throw). */
function syntaxError(where: string): CeqlSyntaxError {
  try {
    parseWhere(where);
  } catch (error) {
    expect(error).toBeInstanceOf(CeqlSyntaxError);
    return error as CeqlSyntaxError;
  }
  throw new Error(`expected ${where} to be refused`);
}

describe('CEQL parser: constructs', () => {
  it.each(['=', '!=', '<', '<=', '>', '>='])('parses the comparison %s', (operator) => {
    expect(bare(`priority ${operator} 2`)).toEqual(cmp('priority', operator, 'number', '2'));
    expect(bare(`priority${operator}2`)).toEqual(cmp('priority', operator, 'number', '2'));
  });

  it('reads single-quoted strings with doubled quotes as escapes', () => {
    expect(bare("short_description = 'it''s down'")).toEqual(
      cmp('short_description', '=', 'string', "it's down"),
    );
    expect(bare("a = ''")).toEqual(cmp('a', '=', 'string', ''));
  });

  it('reads integers, decimals and negative numbers', () => {
    expect(bare('a = -12.50')).toEqual(cmp('a', '=', 'number', '-12.50'));
    expect(bare('a >= 0')).toEqual(cmp('a', '>=', 'number', '0'));
  });

  it('reads true and false in any case', () => {
    expect(bare('active = TRUE')).toEqual(cmp('active', '=', 'boolean', true));
    expect(bare('active != false')).toEqual(cmp('active', '!=', 'boolean', false));
  });

  it('reads unquoted ISO dates as in the CE documentation', () => {
    expect(bare('`metaData.lastUpdateTime` > 2015-01-06T09:31:38-07:00')).toEqual(
      cmp('metaData.lastUpdateTime', '>', 'date', '2015-01-06T09:31:38-07:00'),
    );
    expect(bare('d < 2024-05-01')).toEqual(cmp('d', '<', 'date', '2024-05-01'));
  });

  it('reads dotted names for dot-walking and back-ticked names with any characters', () => {
    expect(bare("caller_id.email = 'a@b.c'")).toEqual(cmp('caller_id.email', '=', 'string', 'a@b.c'));
    expect(bare("`in` = 'x'")).toEqual(cmp('in', '=', 'string', 'x'));
    expect(bare("`we``ird name` = 'x'")).toEqual(cmp('we`ird name', '=', 'string', 'x'));
  });

  it('parses LIKE and NOT LIKE with a quoted pattern', () => {
    expect(bare("short_description LIKE '%disk%'")).toEqual({
      kind: 'like',
      field: 'short_description',
      negated: false,
      pattern: '%disk%',
    });
    expect(bare("short_description not like 'x%'")).toEqual({
      kind: 'like',
      field: 'short_description',
      negated: true,
      pattern: 'x%',
    });
  });

  it('parses IN and NOT IN lists of mixed literals', () => {
    expect(bare("state IN (1, '2',3)")).toEqual({
      kind: 'in',
      field: 'state',
      negated: false,
      values: [
        { kind: 'number', value: '1' },
        { kind: 'string', value: '2' },
        { kind: 'number', value: '3' },
      ],
    });
    expect(bare("state Not In ('7')")).toMatchObject({ kind: 'in', negated: true });
  });

  it('parses IS NULL and IS NOT NULL', () => {
    expect(bare('assigned_to IS NULL')).toEqual({ kind: 'null', field: 'assigned_to', negated: false });
    expect(bare('assigned_to is not null')).toEqual({ kind: 'null', field: 'assigned_to', negated: true });
  });

  it('binds AND tighter than OR and flattens chains', () => {
    expect(bare('a = 1 OR b = 2 AND c = 3 OR d = 4')).toEqual({
      kind: 'or',
      operands: [
        cmp('a', '=', 'number', '1'),
        { kind: 'and', operands: [cmp('b', '=', 'number', '2'), cmp('c', '=', 'number', '3')] },
        cmp('d', '=', 'number', '4'),
      ],
    });
    expect(bare('a = 1 and (b = 2 and c = 3)')).toEqual({
      kind: 'and',
      operands: [cmp('a', '=', 'number', '1'), cmp('b', '=', 'number', '2'), cmp('c', '=', 'number', '3')],
    });
  });

  it('lets parentheses override precedence', () => {
    expect(bare('(a = 1 OR b = 2) AND c = 3')).toEqual({
      kind: 'and',
      operands: [
        { kind: 'or', operands: [cmp('a', '=', 'number', '1'), cmp('b', '=', 'number', '2')] },
        cmp('c', '=', 'number', '3'),
      ],
    });
    expect(bare('((a = 1))')).toEqual(cmp('a', '=', 'number', '1'));
  });

  it('records 0-based positions of fields and values', () => {
    const e = parseWhere("a = 1 AND  `b c` = 'x'");
    expect(e).toMatchObject({
      operands: [
        { field: 'a', position: 0, value: { position: 4 } },
        { field: 'b c', position: 11, value: { position: 19 } },
      ],
    });
  });
});

describe('CEQL parser: errors name the position', () => {
  it.each([
    ['priority = 1 AND state = )', "Unexpected token ')' at position 25"],
    ['(priority = 1 OR state = 2))', "Unexpected token ')' at position 27"],
    ['(priority = 1', 'Unexpected end of input at position 13'],
    ["a = 'open", 'Unterminated string starting at position 4'],
    ['`a = 1', 'Unterminated back-ticked name starting at position 0'],
    ['a == 1', "Unexpected token '=' at position 3"],
    ['a = 1 b = 2', "Unexpected token 'b' at position 6"],
    ['a ~ 1', "Unexpected character '~' at position 2"],
    ['a = 12abc', "Unexpected character 'a' at position 6"],
    ['a LIKE 5', "Unexpected token '5' at position 7"],
    ['a IN 1', "Unexpected token '1' at position 5"],
    ['a IN ()', "Unexpected token ')' at position 6"],
    ['a IS 1', "Unexpected token '1' at position 5"],
    ['a NOT = 1', "Unexpected token '=' at position 6"],
    ['a = NULL', "Unexpected token 'NULL' at position 4"],
    ['NOT a = 1', "Unexpected token 'NOT' at position 0"],
    ['', 'Unexpected end of input at position 0'],
    ['a. = 1', "Invalid field name 'a.' at position 0"],
    ['a = 1 AND', 'Unexpected end of input at position 9'],
  ])('%s -> %s', (where, message) => {
    const error = syntaxError(where);
    expect(error.message.startsWith(message)).toBe(true);
    expect(error.status).toBe(400);
    expect(error.position).toBe(Number(/position (\d+)/.exec(message)![1]));
  });

  it('says what was expected', () => {
    expect(syntaxError('priority = )').message).toBe(
      "Unexpected token ')' at position 11; expected a value (quoted string, number, date, true or false)",
    );
  });

  it('shortens long tokens in messages', () => {
    const error = syntaxError(`a = 1 '${'x'.repeat(200)}'`);
    expect(error.message).toContain(`'${'x'.repeat(36)}...`);
    expect(error.message).not.toContain('x'.repeat(41));
  });

  it('refuses parentheses nested too deeply instead of overflowing the stack', () => {
    const error = syntaxError(`${'('.repeat(10_000)}a = 1${')'.repeat(10_000)}`);
    expect(error.message).toContain('nested too deeply');
  });

  it('is an ElementError the API renders as 400', () => {
    const error: ElementErrorLike = syntaxError('a =');
    expect(error.status).toBe(400);
  });
});

describe('orderBy parser', () => {
  it('reads fields with optional asc/desc, case-insensitively', () => {
    expect(parseOrderBy('priority DESC, number, `sys_updated_on` asc')).toEqual([
      { field: 'priority', position: 0, descending: true },
      { field: 'number', position: 15, descending: false },
      { field: 'sys_updated_on', position: 23, descending: false },
    ]);
  });

  it.each([
    ['priority sideways', "Unexpected token 'sideways' at position 9"],
    ['priority,', 'Unexpected end of input at position 9'],
    ["'priority'", "Unexpected token ''priority'' at position 0"],
  ])('%s -> %s', (orderBy, message) => {
    expect(() => parseOrderBy(orderBy)).toThrow(message);
  });
});
