import { describe, expect, it } from 'vitest';
import { incidentFields } from './helpers/catalog';
import {
  CeqlError,
  CeqlTranslationError,
  ceqlToEncodedQuery,
  MAX_GROUPS,
  orderByToEncoded,
  parseWhere,
  toEncodedQuery,
} from './helpers/ceql';

const translate = (where: string) => toEncodedQuery(parseWhere(where), { fields: incidentFields });

function refusal(where: string): CeqlError {
  try {
    translate(where);
  } catch (error) {
    expect(error).toBeInstanceOf(CeqlError);
    expect((error as CeqlError).status).toBe(400);
    return error as CeqlError;
  }
  throw new Error(`expected ${where} to be refused`);
}

describe('CEQL -> encoded query: operators', () => {
  it.each([
    ["number = 'INC0010001'", 'number=INC0010001'],
    ['priority != 5', 'priority!=5'],
    ['priority < 3', 'priority<3'],
    ['priority <= 3', 'priority<=3'],
    ['reassignment_count > 2', 'reassignment_count>2'],
    ["reassignment_count >= '2'", 'reassignment_count>=2'],
    ['business_stc = -1.5', 'business_stc=-1.5'],
    ["short_description LIKE '%disk full%'", 'short_descriptionLIKEdisk full'],
    ["short_description LIKE 'Disk%'", 'short_descriptionSTARTSWITHDisk'],
    ["short_description LIKE '%%full'", 'short_descriptionENDSWITHfull'],
    ["short_description LIKE 'exact'", 'short_description=exact'],
    ["short_description LIKE '%'", 'short_descriptionISNOTEMPTY'],
    ["short_description LIKE ''", 'short_descriptionISEMPTY'],
    ["short_description NOT LIKE '%disk%'", 'short_descriptionNOT LIKEdisk'],
    ["short_description NOT LIKE 'exact'", 'short_description!=exact'],
    ["short_description NOT LIKE '%'", 'short_descriptionISEMPTY'],
    ["short_description LIKE '%under_score%'", 'short_descriptionLIKEunder_score'],
    ["state IN (1, 2, '3')", 'stateIN1,2,3'],
    ['state NOT IN (6,7)', 'stateNOT IN6,7'],
    ['assigned_to IS NULL', 'assigned_toISEMPTY'],
    ['assigned_to IS NOT NULL', 'assigned_toISNOTEMPTY'],
    ["short_description = ''", 'short_description='],
    ["`caller_id.email` = 'ann@example.com'", 'caller_id.email=ann@example.com'],
    ["caller_id.email LIKE '%@example.com'", 'caller_id.emailENDSWITH@example.com'],
  ])('%s -> %s', (where, encoded) => {
    expect(translate(where)).toBe(encoded);
  });
});

describe('CEQL -> encoded query: values by field type', () => {
  it.each([
    ['active = true', 'active=true'],
    ["active = 'FALSE'", 'active=false'],
    ['active != 1', 'active!=true'],
    ['active IN (true, 0)', 'activeINtrue,false'],
    ["opened_at > '2024-05-01T10:00:00Z'", 'opened_at>2024-05-01 10:00:00'],
    ["opened_at > '2024-05-01T12:00:00+02:00'", 'opened_at>2024-05-01 10:00:00'],
    ['opened_at > 2024-05-01T05:30:00-0430', 'opened_at>2024-05-01 10:00:00'],
    ["opened_at >= '2024-05-01'", 'opened_at>=2024-05-01 00:00:00'],
    ["opened_at < '2024-05-01T10:00'", 'opened_at<2024-05-01 10:00:00'],
    ["opened_at = '2024-05-01 10:00:00'", 'opened_at=2024-05-01 10:00:00'],
    ["opened_at = '2024-05-01T10:00:00.000Z'", 'opened_at=2024-05-01 10:00:00'],
    // Fractions of a second round so the result is unchanged over whole-second values.
    ["opened_at > '2024-05-01T10:00:00.5Z'", 'opened_at>2024-05-01 10:00:00'],
    ["opened_at <= '2024-05-01T10:00:00.5Z'", 'opened_at<=2024-05-01 10:00:00'],
    ["opened_at >= '2024-05-01T10:00:00.5Z'", 'opened_at>=2024-05-01 10:00:01'],
    ["opened_at < '2024-05-01T10:00:00.5Z'", 'opened_at<2024-05-01 10:00:01'],
    ["opened_at > '2024-12-31T23:30:00-01:00'", 'opened_at>2025-01-01 00:30:00'],
    ["due_on = '2024-05-01'", 'due_on=2024-05-01'],
    ["due_on < '2024-05-01T23:30:00-02:00'", 'due_on<2024-05-02'],
    [
      "opened_at IN ('2024-05-01T10:00:00Z', 2024-05-02)",
      'opened_atIN2024-05-01 10:00:00,2024-05-02 00:00:00',
    ],
    ['short_description = 42', 'short_description=42'],
    ['short_description = true', 'short_description=true'],
    ['short_description = 2024-05-01', 'short_description=2024-05-01'],
  ])('%s -> %s', (where, encoded) => {
    expect(translate(where)).toBe(encoded);
  });

  it.each([
    ["priority_x = 'a'", "Unknown field 'priority_x' on incident at position 0"],
    ["reassignment_count = 'two'", "Field 'reassignment_count' expects a number (value at position 21)"],
    ['active = 2', "Field 'active' expects true or false (value at position 9)"],
    ['active > false', "Field 'active' is true/false and supports only = and != (operator > at position 0)"],
    ["opened_at > 'yesterday'", "Field 'opened_at' expects an ISO 8601 date"],
    ["opened_at > '2024-02-30'", "Field 'opened_at' expects an ISO 8601 date"],
    ['opened_at > 5', "Field 'opened_at' expects an ISO 8601 date"],
    ["opened_at = '2024-05-01T10:00:00.5Z'", 'a value with a fraction of a second can never equal it'],
  ])('refuses %s', (where, message) => {
    expect(refusal(where).message).toContain(message);
  });
});

describe('CEQL -> encoded query: unknown fields never widen the result', () => {
  it('refuses an unknown field anywhere in the expression, naming field, table and position', () => {
    const error = refusal("priority = 1 OR (state = 2 AND colour = 'red')");
    expect(error).toBeInstanceOf(CeqlTranslationError);
    expect(error.message).toBe("Unknown field 'colour' on incident at position 31");
    expect(error.position).toBe(31);
  });

  it('refuses an unknown dot-walk', () => {
    expect(refusal("caller_id.name = 'x'").message).toContain("Unknown field 'caller_id.name'");
  });

  it('refuses catalog names ServiceNow could not parse', () => {
    expect(refusal("`Bad^Name` = 'x'").message).toContain('cannot be used in a ServiceNow query');
  });
});

describe('CEQL -> encoded query: values that would change the query are refused', () => {
  it.each([
    ["short_description = 'a^NQactive=true'", "contains '^'"],
    ["short_description LIKE '%a^ORDERBYnumber%'", "contains '^'"],
    ["short_description = 'line\nbreak'", 'line break'],
    ["short_description = 'cr\rhere'", 'line break'],
    ["short_description = 'javascript:gs.getUserID()'", "starts with 'javascript:'"],
    ["short_description = '  JavaScript:x'", "starts with 'javascript:'"],
    ["caller_id IN ('javascript:gs.getUserID()')", "starts with 'javascript:'"],
    ["short_description LIKE 'javascript:%'", "starts with 'javascript:'"],
    ["short_description IN ('a,b')", "contains ','"],
    ["short_description < '=x'", "starts with '='"],
    ["short_description > '=x'", "starts with '='"],
    ["short_description > ''", 'empty value'],
    ["short_description IN ('a', '')", 'Empty value in IN list'],
    ["short_description LIKE '%a%b%'", '% only at its start and end'],
    ["short_description NOT LIKE 'a%'", 'NOT LIKE'],
    ["short_description NOT LIKE '%a'", 'NOT LIKE'],
  ])('refuses %s', (where, message) => {
    const error = refusal(where);
    expect(error.message).toContain(message);
    expect(error.message).toMatch(/position \d+/);
  });

  it('names the field and the position of the offending value', () => {
    expect(refusal("priority = 1 AND short_description = 'x^y'").message).toBe(
      "Value for field 'short_description' at position 37 contains '^', which a ServiceNow encoded query cannot escape",
    );
  });

  it('keeps @ and , where no operator splits on them', () => {
    expect(translate("short_description = 'a,b@c'")).toBe('short_description=a,b@c');
    expect(translate("short_description <= '=x'")).toBe('short_description<==x');
  });
});

describe('CEQL -> encoded query: AND / OR / parentheses', () => {
  it.each([
    ['priority = 1 AND state = 2', 'priority=1^state=2'],
    ['priority = 1 OR state = 2', 'priority=1^ORstate=2'],
    ['priority = 1 OR state = 2 OR active = true', 'priority=1^ORstate=2^ORactive=true'],
    ['priority = 1 AND (state = 2 OR state = 3)', 'priority=1^state=2^ORstate=3'],
    [
      '(priority = 1 OR state = 2) AND (active = true OR number = 3)',
      'priority=1^ORstate=2^active=true^ORnumber=3',
    ],
    ['priority = 1 OR state = 2 AND active = true', 'priority=1^NQstate=2^active=true'],
    [
      '(priority = 1 AND state = 2) OR (active = true AND number = 3)',
      'priority=1^state=2^NQactive=true^number=3',
    ],
    [
      'priority = 1 AND (state = 2 OR (active = true AND number = 3))',
      'priority=1^state=2^NQpriority=1^active=true^number=3',
    ],
  ])('%s -> %s', (where, encoded) => {
    expect(translate(where)).toBe(encoded);
  });

  it(`refuses expressions that multiply out to more than ${MAX_GROUPS} groups`, () => {
    // 7 factors of (a AND b OR c AND d) -> 2^7 = 128 groups.
    const factor = '(priority = 1 AND state = 2 OR active = true AND number = 3)';
    const where = Array.from({ length: 7 }, () => factor).join(' AND ');
    expect(refusal(where).message).toContain('Query too complex');
    // 6 factors -> 64 groups is still accepted.
    const ok = translate(Array.from({ length: 6 }, () => factor).join(' AND '));
    expect(ok.split('^NQ')).toHaveLength(64);
  });

  it('refuses a long OR of AND groups without building them all', () => {
    const where = Array.from({ length: 5000 }, (_, n) => `(priority = ${n} AND state = 1)`).join(' OR ');
    expect(refusal(where).message).toContain('Query too complex');
  });

  it('keeps a long OR of plain conditions in one ^OR item', () => {
    const where = Array.from({ length: 200 }, (_, n) => `priority = ${n}`).join(' OR ');
    expect(translate(where).split('^OR')).toHaveLength(200);
  });
});

describe('orderBy -> ORDERBY / ORDERBYDESC', () => {
  it('keeps the order written', () => {
    expect(orderByToEncoded('priority desc, number', incidentFields)).toBe(
      'ORDERBYDESCpriority^ORDERBYnumber',
    );
    expect(orderByToEncoded('opened_at ASC', incidentFields)).toBe('ORDERBYopened_at');
    expect(orderByToEncoded('  ', incidentFields)).toBe('');
  });

  it('refuses unknown fields with their position', () => {
    expect(() => orderByToEncoded('priority, colour desc', incidentFields)).toThrow(
      "Unknown field 'colour' on incident at position 10",
    );
  });
});

describe('ceqlToEncodedQuery', () => {
  it('joins where and orderBy, ORDERBY last', () => {
    expect(
      ceqlToEncodedQuery(
        { where: "active = true AND short_description LIKE '%vpn%'", orderBy: 'priority desc' },
        { fields: incidentFields },
      ),
    ).toBe('active=true^short_descriptionLIKEvpn^ORDERBYDESCpriority');
  });

  it('treats a blank or absent where as every record', () => {
    expect(ceqlToEncodedQuery({ where: '  ', orderBy: 'number' }, { fields: incidentFields })).toBe(
      'ORDERBYnumber',
    );
    expect(ceqlToEncodedQuery({}, { fields: incidentFields })).toBe('');
  });
});
