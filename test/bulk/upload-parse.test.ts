import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ParsedRow, UploadFormat } from '../../shared/bulk/upload';
import { assertUploadSize, jsonShape, parseUpload, uploadFormat } from '../../shared/bulk/upload';
import { ElementError } from '../../shared/errors';

/** Feeds `text` in small chunks so records straddle chunk boundaries. */
const source = (text: string, chunk = 7): Readable => {
  const bytes = Buffer.from(text);
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunk) parts.push(bytes.subarray(i, i + chunk));
  return Readable.from(parts);
};

const parseAll = async (text: string, format: UploadFormat, maxBytes?: number): Promise<ParsedRow[]> => {
  const rows: ParsedRow[] = [];
  for await (const row of parseUpload(source(text), format, maxBytes === undefined ? {} : { maxBytes }))
    rows.push(row);
  return rows;
};

const failure = async (promise: Promise<unknown>): Promise<ElementError> => {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ElementError) return error;
    throw error;
  }
  throw new Error('expected an ElementError');
};

describe('bulk upload parsing', () => {
  it('reads CSV with a header, quoted commas and newlines, and reports a short row per row', async () => {
    const rows = await parseAll(
      'short_description,urgency\r\n"a, quoted\nvalue",1\nonly-one-column\nplain,3\n',
      'csv',
    );
    expect(rows).toEqual([
      { rowNumber: 1, record: { short_description: 'a, quoted\nvalue', urgency: '1' } },
      { rowNumber: 2, error: 'Expected 2 columns, found 1' },
      { rowNumber: 3, record: { short_description: 'plain', urgency: '3' } },
    ]);
  });

  it('refuses a CSV whose header repeats a column', async () => {
    const error = await failure(parseAll('a,a\n1,2\n', 'csv'));
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/header/);
  });

  it('reads JSON lines, converting scalars to strings and refusing malformed lines and nested values', async () => {
    const rows = await parseAll(
      '{"short_description":"ok","urgency":2,"active":true,"notes":null}\n{broken\n\n{"nested":{"a":1}}\n[1]\n{"x":"y"}',
      'jsonl',
    );
    expect(rows[0]).toEqual({
      rowNumber: 1,
      record: { short_description: 'ok', urgency: '2', active: 'true', notes: '' },
    });
    expect(rows[1]?.rowNumber).toBe(2);
    expect(rows[1]?.error).toMatch(/Malformed JSON/);
    expect(rows[2]).toEqual({ rowNumber: 3, error: expect.stringMatching(/"nested" has a nested value/) });
    expect(rows[3]).toEqual({ rowNumber: 4, error: 'Record must be a JSON object' });
    expect(rows[4]).toEqual({ rowNumber: 5, record: { x: 'y' } });
  });

  it('streams a JSON array element by element, with brackets and commas inside strings', async () => {
    const rows = await parseAll(' [ {"a":"x, ] } [ \\" y"}, {"a": }, {"b":[1]}, {"c":1.5} ] \n', 'json');
    expect(rows).toEqual([
      { rowNumber: 1, record: { a: 'x, ] } [ " y' } },
      { rowNumber: 2, error: expect.stringMatching(/Malformed JSON/) },
      { rowNumber: 3, error: expect.stringMatching(/"b" has a nested value/) },
      { rowNumber: 4, record: { c: '1.5' } },
    ]);
    expect(await parseAll('[]', 'json')).toEqual([]);
  });

  it('reads JSON as an array or as lines by its first non-blank character, whatever was declared', async () => {
    const lines = [
      { rowNumber: 1, record: { a: '1' } },
      { rowNumber: 2, record: { b: 'x' } },
    ];
    expect(await parseAll('\ufeff \n{"a":1}\n{"b":"x"}\n', 'json')).toEqual(lines);
    expect(await parseAll('  [{"a":1},\n{"b":"x"}]', 'jsonl')).toEqual(lines);
    expect(await parseAll('', 'json')).toEqual([]);
    expect(jsonShape('json', '  {')).toBe('jsonl');
    expect(jsonShape('jsonl', '\ufeff[')).toBe('json');
    expect(jsonShape('csv', '[')).toBe('csv');
  });

  it('refuses a JSON array cut short', async () => {
    expect((await failure(parseAll('[{"a":1},', 'json'))).message).toMatch(/ends inside the array/);
  });

  it('refuses oversized files with 413, whether the size is known up front or found while reading', async () => {
    const error = await failure(parseAll(`a\n${'x\n'.repeat(1000)}`, 'csv', 500));
    expect(error.status).toBe(413);
    expect(error.message).toMatch(/larger than the limit of 500 bytes/);
    expect(() => assertUploadSize(2_000, 1_000)).toThrow(/larger than the limit/);
    expect(() => assertUploadSize(1_000, 1_000)).not.toThrow();
  });

  it('accepts the known formats and content types, refusing others with 415', () => {
    expect(uploadFormat('text/csv; charset=utf-8')).toBe('csv');
    expect(uploadFormat('json')).toBe('json');
    expect(uploadFormat('application/jsonl')).toBe('jsonl');
    for (const bad of ['application/xml', 'application/vnd.ms-excel', '', undefined]) {
      try {
        uploadFormat(bad);
        expect.unreachable();
      } catch (error) {
        expect((error as ElementError).status).toBe(415);
        expect((error as ElementError).message).toMatch(/Unsupported bulk upload format/);
      }
    }
  });
});
