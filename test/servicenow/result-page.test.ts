import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detached, parseResultPage } from '../../shared/servicenow';

/** Text with what JSON escapes (quotes, backslashes, control characters), non-ASCII and lone surrogates. */
const text = fc.string({
  unit: fc.oneof(
    fc.constantFrom(
      '"',
      '\\',
      '/',
      '\n',
      '\t',
      '\u0000',
      '\u001f',
      'é',
      '€',
      '😀',
      '\ud800',
      '\udfff',
      'x',
      '1',
    ),
    fc.string({ minLength: 1, maxLength: 1 }),
  ),
  maxLength: 40,
});
/** Keys as ServiceNow sends them, plus odd ones: empty, numeric (array-index order), escaped. */
const key = fc.oneof(
  fc.constantFrom('sys_id', 'number', 'short_description', 'state', '', '0', '10', 'a"b', 'c\\d', 'é'),
  text,
);
const row = fc.dictionary(key, text, { maxKeys: 8 });
/** Pages whose rows share one key order, as a Table API page does, and pages whose rows do not. */
const page = fc.oneof(
  fc.array(row, { maxLength: 6 }),
  fc
    .tuple(fc.uniqueArray(key, { maxLength: 6 }), fc.array(fc.array(text, { minLength: 6, maxLength: 6 })))
    .map(([keys, values]) => values.map((cells) => Object.fromEntries(keys.map((k, i) => [k, cells[i]])))),
);

describe('parseResultPage (Table API pages without JSON.parse)', () => {
  it('reads every flat page exactly as JSON.parse does', () => {
    fc.assert(
      fc.property(page, (rows) => {
        const body = JSON.stringify({ result: rows });
        const parsed = parseResultPage(body);
        const leftToJsonParse = rows.some((r) =>
          Object.keys(r).some((k) => k === '__proto__' || JSON.stringify(k) !== `"${k}"`),
        );
        // Keys holding an escape (and `__proto__`) are left to JSON.parse; everything else is read here.
        if (!leftToJsonParse) expect(parsed).toBeDefined();
        if (parsed !== undefined) {
          expect(parsed).toStrictEqual(JSON.parse(body));
          // Same key order too (toStrictEqual does not look at it).
          expect(parsed.result.map((r) => Object.keys(r))).toEqual(rows.map((r) => Object.keys(r)));
        }
      }),
      { numRuns: 400 },
    );
  });

  it('reads the pages of a real export: references as sys_ids, escapes in descriptions', () => {
    const rows = Array.from({ length: 50 }, (_, i) => ({
      sys_id: i.toString(16).padStart(32, '0'),
      number: `INC${String(i).padStart(7, '0')}`,
      short_description: i % 3 === 0 ? `Printer "${i}" says C:\\spool\nagain` : `Host srv-${i} is down`,
      caller_id: 'a'.repeat(32),
    }));
    const body = JSON.stringify({ result: rows });
    expect(parseResultPage(body)).toStrictEqual({ result: rows });
    expect(parseResultPage('{"result":[]}')).toStrictEqual({ result: [] });
    expect(parseResultPage('{"result":[{}]}')).toStrictEqual({ result: [{}] });
  });

  it('keeps `__proto__` an own property by leaving such a page to JSON.parse', () => {
    const body = '{"result":[{"__proto__":"x","a":"b"}]}';
    expect(parseResultPage(body)).toBeUndefined();
    expect(Object.keys((JSON.parse(body) as { result: object[] }).result[0] as object)).toEqual([
      '__proto__',
      'a',
    ]);
  });

  it.each([
    ['a single record', '{"result":{"sys_id":"1"}}'],
    ['whitespace', '{"result": [{"a":"b"}]}'],
    ['whitespace inside a row', '{"result":[{"a": "b"}]}'],
    ['a number value', '{"result":[{"a":1}]}'],
    ['a reference link object', '{"result":[{"caller_id":{"link":"https://x","value":"1"}}]}'],
    ['a null value', '{"result":[{"a":null}]}'],
    ['more after the page', '{"result":[{"a":"b"}],"more":"x"}'],
    ['a trailing newline', '{"result":[{"a":"b"}]}\n'],
    ['a cut-off body', '{"result":[{"a":"b"},{"a":"c'],
    ['a cut-off escape', '{"result":[{"a":"b\\'],
    ['an invalid escape', '{"result":[{"a":"b\\x"}]}'],
    ['a missing comma', '{"result":[{"a":"b""c":"d"}]}'],
    ['an error body', '{"error":{"message":"No Record found"},"status":"failure"}'],
    ['nothing', ''],
  ])('leaves %s to JSON.parse', (_name, body) => {
    expect(parseResultPage(body)).toBeUndefined();
  });
});

describe('detached', () => {
  it('copies a string exactly', () => {
    fc.assert(
      fc.property(text, (value) => {
        expect(detached(value)).toBe(value);
      }),
    );
  });
});
