import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type DownloadFormat,
  fileHead,
  fileTail,
  INITIAL_DOWNLOAD_CURSOR,
  writePage,
} from '../../shared/bulk/download';
import { PartBuffer } from '../../shared/bulk/download/part-buffer';
import type { SnRecord } from '../../shared/servicenow';

const COLUMNS = ['a', 'b', 'c'];

/** Cell text with the characters CSV cares about, multi-byte UTF-8 and lone surrogates' neighbours. */
const cell = fc.string({
  unit: fc.oneof(
    fc.constantFrom('"', ',', '\r', '\n', ' ', 'é', '€', '😀', 'x'),
    fc.string({ minLength: 1, maxLength: 1 }),
  ),
  maxLength: 12,
});
const row = fc.record({ a: cell, b: cell, c: cell }) as fc.Arbitrary<SnRecord>;
/** A file as pages of rows (pages may be empty). */
const pages = fc.array(fc.array(row, { maxLength: 5 }), { maxLength: 4 });

/** The whole file as the chunk runner writes it: head, every page into one buffer, tail. */
const fileOf = (format: DownloadFormat, file: SnRecord[][]): string => {
  // A tiny start capacity makes the buffer grow many times on the way.
  const buffer = new PartBuffer(1);
  buffer.write(fileHead(format, COLUMNS));
  let written = INITIAL_DOWNLOAD_CURSOR.rows;
  for (const page of file) {
    writePage(buffer, format, page, { columns: COLUMNS, fields: undefined, first: written === 0 });
    written += page.length;
  }
  buffer.write(fileTail(format));
  return buffer.bytes().toString('utf8');
};

describe('download file writers', () => {
  it('write CSV byte for byte as csv-stringify does, and csv-parse reads the rows back', () => {
    fc.assert(
      fc.property(pages, (file) => {
        const rows = file.flat();
        const text = fileOf('csv', file);
        expect(text).toBe(stringify(rows, { header: true, columns: COLUMNS }));
        expect(parse(text, { columns: true })).toEqual(rows);
      }),
      { numRuns: 300 },
    );
  });

  it('write a JSON array and JSON lines that parse back to the rows, whatever the page cuts', () => {
    fc.assert(
      fc.property(pages, (file) => {
        const rows = file.flat();
        expect(JSON.parse(fileOf('json', file))).toEqual(rows);
        const lines = fileOf('jsonl', file).split('\n');
        expect(lines.pop()).toBe('');
        expect(lines.map((line) => JSON.parse(line))).toEqual(rows);
      }),
      { numRuns: 300 },
    );
  });

  it('grows the part buffer without losing bytes and appends raw bytes after text', () => {
    const buffer = new PartBuffer(4);
    buffer.write('héllo');
    buffer.append(Buffer.from([0x2c, 0x21]));
    buffer.write('€'.repeat(100));
    expect(buffer.bytes().toString('utf8')).toBe(`héllo,!${'€'.repeat(100)}`);
    expect(buffer.length).toBe(Buffer.byteLength('héllo,!') + 300);
  });
});
