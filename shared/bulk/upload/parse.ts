import { Readable, Transform } from 'node:stream';
import { parse as csvParse } from 'csv-parse';
import {
  ElementError,
  InvalidInputError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
} from '../../errors';

/**
 * Streaming parsers for bulk upload files. Every format yields one `ParsedRow` per data record so a
 * malformed record becomes a per-row error (reported in the error file) instead of failing the whole
 * upload; only file-level problems (unknown format, too large, not a JSON array, broken CSV quoting)
 * throw an ElementError.
 *
 * `rowNumber` is the 1-based position of the record among the data records (CSV header excluded,
 * blank JSON lines not counted), so the error report points at the record the user sent.
 */
export type UploadFormat = 'csv' | 'json' | 'jsonl';

export interface ParsedRow {
  rowNumber: number;
  /** ServiceNow values: everything is a string. */
  record?: Record<string, string>;
  error?: string;
}

export interface ParseOptions {
  /** Refuse the file (413) once more bytes than this were read. Default 1 GiB. */
  maxBytes?: number;
  /** A single record larger than this is a row error (JSON) / file error (CSV). Default 1 MiB. */
  maxRecordBytes?: number;
}

export const DEFAULT_MAX_UPLOAD_BYTES = 1024 * 1024 * 1024;
export const DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;

const FORMATS: Record<string, UploadFormat> = {
  csv: 'csv',
  'text/csv': 'csv',
  'txt/csv': 'csv', // CE's own spelling in bulkDownloadRequest
  json: 'json',
  'application/json': 'json',
  jsonl: 'jsonl',
  ndjson: 'jsonl',
  'application/jsonl': 'jsonl',
  'application/x-ndjson': 'jsonl',
  'application/x-jsonlines': 'jsonl',
  'application/jsonlines': 'jsonl',
  'application/ndjson': 'jsonl',
};

/**
 * A JSON file is an array or one record per line whatever it was declared as (CE's own documentation
 * uploads JSON lines as `format: json`): its first non-blank character decides. Other formats as given.
 */
export const jsonShape = (format: UploadFormat, start: string): UploadFormat => {
  if (format === 'csv') return format;
  const first = start.replace(/^\ufeff/, '').trimStart()[0];
  if (first === undefined) return format;
  return first === '[' ? 'json' : 'jsonl';
};

/** Reads `input` up to its first non-blank character: the JSON shape, and a stream of every byte read. */
const sniffJson = async (
  input: Readable,
  declared: UploadFormat,
): Promise<{ format: UploadFormat; body: Readable }> => {
  const iterator = (input as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let format: UploadFormat | undefined;
  while (format === undefined) {
    const next = await iterator.next();
    if (next.done === true) break;
    head.push(next.value);
    const text = Buffer.concat(head)
      .toString('utf8')
      .replace(/^\ufeff/, '')
      .trimStart();
    if (text !== '') format = jsonShape(declared, text);
  }
  async function* replay(): AsyncGenerator<Buffer> {
    yield* head;
    for (;;) {
      const next = await iterator.next();
      if (next.done === true) return;
      yield next.value;
    }
  }
  // Nothing but blanks: no records, as lines (an array would need its brackets).
  return { format: format ?? 'jsonl', body: Readable.from(replay()) };
};

/** `csv`, `json`, `jsonl` or a matching content type (parameters ignored); anything else -> 415. */
export const uploadFormat = (value: string | undefined): UploadFormat => {
  const key = (value ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const format = FORMATS[key];
  if (format === undefined) {
    throw new UnsupportedMediaTypeError(
      `Unsupported bulk upload format ${JSON.stringify(value ?? '')}: use csv (text/csv), json (application/json, an array of objects) or jsonl (application/jsonl, one object per line)`,
    );
  }
  return format;
};

/** For callers that know the size up front (blob head, Content-Length): refuse before reading. */
export const assertUploadSize = (size: number, maxBytes = DEFAULT_MAX_UPLOAD_BYTES): void => {
  if (size > maxBytes) throw tooLarge(maxBytes);
};

const tooLarge = (maxBytes: number) =>
  new PayloadTooLargeError(`Bulk upload file is larger than the limit of ${maxBytes} bytes`);

/** Counts bytes and fails the stream with 413 past the limit. */
const byteLimit = (maxBytes: number) => {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > maxBytes) callback(tooLarge(maxBytes));
      else callback(null, chunk);
    },
  });
};

const limited = (body: Readable, maxBytes: number): Readable => {
  const limit = byteLimit(maxBytes);
  body.on('error', (error) => limit.destroy(error));
  return body.pipe(limit);
};

/** Converts one JSON value to a ServiceNow string; undefined when it is nested. */
const toServiceNowValue = (value: unknown): string | undefined => {
  if (value === null) return '';
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'boolean':
      return String(value);
    default:
      return undefined;
  }
};

/** An object of scalars -> record, or the reason it is refused. */
export const toRecord = (value: unknown): { record: Record<string, string> } | { error: string } => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { error: 'Record must be a JSON object' };
  }
  const record: Record<string, string> = {};
  for (const [field, raw] of Object.entries(value)) {
    const converted = toServiceNowValue(raw);
    if (converted === undefined) {
      return {
        error: `Field ${JSON.stringify(field)} has a nested value; only strings, numbers, booleans and null are supported`,
      };
    }
    record[field] = converted;
  }
  return { record };
};

const parseJsonRecord = (rowNumber: number, text: string): ParsedRow => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { rowNumber, error: `Malformed JSON: ${(error as Error).message}` };
  }
  return { rowNumber, ...toRecord(value) };
};

export async function* parseUpload(
  body: Readable,
  format: UploadFormat,
  options: ParseOptions = {},
): AsyncGenerator<ParsedRow> {
  const input = limited(body, options.maxBytes ?? DEFAULT_MAX_UPLOAD_BYTES);
  const maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  try {
    if (format === 'csv') yield* parseCsv(input, maxRecordBytes);
    else {
      const json = await sniffJson(input, format);
      if (json.format === 'jsonl') yield* parseJsonLines(json.body, maxRecordBytes);
      else yield* parseJsonArray(json.body, maxRecordBytes);
    }
  } finally {
    // Stop reading the source when the consumer stops early (cancel).
    input.destroy();
    body.destroy();
  }
}

async function* parseCsv(input: Readable, maxRecordBytes: number): AsyncGenerator<ParsedRow> {
  // Raw arrays (not `columns: true`) so a row with the wrong column count is ours to report per row.
  const parser = input.pipe(
    csvParse({
      bom: true,
      // Explicit: auto-detection locks onto the first delimiter seen, so a file mixing CRLF and LF
      // would silently merge rows.
      record_delimiter: ['\r\n', '\n', '\r'],
      relax_column_count: true,
      skip_empty_lines: true,
      max_record_size: maxRecordBytes,
    }),
  );
  input.on('error', (error) => parser.destroy(error));
  let header: string[] | undefined;
  let rowNumber = 0;
  try {
    for await (const row of parser as AsyncIterable<string[]>) {
      if (header === undefined) {
        header = row.map((name) => name.trim());
        if (header.some((name) => name === '') || new Set(header).size !== header.length) {
          throw new InvalidInputError('CSV header row must name every column once');
        }
        continue;
      }
      rowNumber++;
      if (row.length !== header.length) {
        yield { rowNumber, error: `Expected ${header.length} columns, found ${row.length}` };
        continue;
      }
      const record: Record<string, string> = {};
      header.forEach((name, index) => {
        record[name] = row[index] ?? '';
      });
      yield { rowNumber, record };
    }
  } catch (error) {
    if (error instanceof ElementError) throw error;
    // Broken quoting desynchronises everything after it, so it cannot be a per-row error.
    throw new InvalidInputError(`Malformed CSV after data row ${rowNumber}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

async function* parseJsonLines(input: Readable, maxRecordBytes: number): AsyncGenerator<ParsedRow> {
  let rowNumber = 0;
  let pending = '';
  let oversized = false;
  const decoder = new TextDecoder('utf-8');
  let first = true;
  const lineOut = function* (raw: string): Generator<ParsedRow> {
    // A UTF-8 BOM is legal at the start of the file only (Excel and PowerShell write one).
    const line = first && raw.startsWith('\ufeff') ? raw.slice(1) : raw;
    first = false;
    if (line.trim() === '') return;
    rowNumber++;
    yield line.length > maxRecordBytes
      ? { rowNumber, error: `Record is larger than ${maxRecordBytes} bytes` }
      : parseJsonRecord(rowNumber, line);
  };
  for await (const chunk of input as AsyncIterable<Buffer>) {
    const parts = (pending + decoder.decode(chunk, { stream: true })).split('\n');
    pending = parts.pop() ?? '';
    for (const line of parts) {
      if (oversized) {
        oversized = false;
        continue; // tail of a line already reported
      }
      yield* lineOut(line);
    }
    if (pending.length > maxRecordBytes) {
      if (!oversized) {
        rowNumber++;
        yield { rowNumber, error: `Record is larger than ${maxRecordBytes} bytes` };
      }
      oversized = true;
      pending = '';
    }
  }
  pending += decoder.decode();
  if (!oversized) yield* lineOut(pending);
}

/**
 * A JSON array read element by element: a small scanner tracks strings and nesting depth and cuts
 * the text of each top-level element, so the file never has to fit in memory; each element is then
 * JSON.parse'd on its own and a malformed one is a row error.
 */
async function* parseJsonArray(input: Readable, maxRecordBytes: number): AsyncGenerator<ParsedRow> {
  const decoder = new TextDecoder('utf-8');
  let started = false;
  let ended = false;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let element = '';
  let oversized = false;
  let rowNumber = 0;
  const finish = function* (): Generator<ParsedRow> {
    const text = element.trim();
    element = '';
    if (oversized || text.length > maxRecordBytes) {
      oversized = false;
      rowNumber++;
      yield { rowNumber, error: `Record is larger than ${maxRecordBytes} bytes` };
      return;
    }
    if (text === '') return;
    rowNumber++;
    yield parseJsonRecord(rowNumber, text);
  };
  const notArray = () => new InvalidInputError('JSON upload must be an array of objects (or use jsonl)');
  for await (const chunk of input as AsyncIterable<Buffer>) {
    const text = decoder.decode(chunk, { stream: true });
    let start = 0;
    const rows: ParsedRow[] = [];
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (ended) {
        if (!/\s/.test(c ?? '')) throw new InvalidInputError('Unexpected content after the JSON array');
        continue;
      }
      if (!started) {
        if (c === '[') {
          started = true;
          start = i + 1;
        } else if (!/\s/.test(c ?? '') && c !== '\ufeff') throw notArray();
        continue;
      }
      if (inString) {
        if (escaped) escaped = false;
        else if (c === '\\') escaped = true;
        else if (c === '"') inString = false;
        continue;
      }
      if (c === '"') inString = true;
      else if (c === '{' || c === '[') depth++;
      else if ((c === '}' || c === ']') && depth > 0) depth--;
      else if (depth === 0 && (c === ',' || c === ']')) {
        if (!oversized) element += text.slice(start, i);
        for (const row of finish()) rows.push(row);
        start = i + 1;
        if (c === ']') ended = true;
      }
    }
    if (started && !ended && !oversized) {
      element += text.slice(start);
      if (element.length > maxRecordBytes) {
        oversized = true;
        element = '';
      }
    }
    yield* rows;
  }
  if (!started) throw notArray();
  if (!ended) throw new InvalidInputError(`JSON upload ends inside the array (after record ${rowNumber})`);
}
