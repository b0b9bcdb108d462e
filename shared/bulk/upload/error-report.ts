import { PassThrough } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import type { BlobStore } from '../../ports/blob-store';
import type { RowFailure } from './write';

export type ErrorReportFormat = 'jsonl' | 'csv';

export interface ErrorReport {
  /** Appends one failure; resolves when the stream accepted it (backpressure). */
  add(failure: RowFailure): Promise<void>;
  /** Ends the file and waits for the blob to be stored. */
  close(): Promise<{ key: string; count: number }>;
  /** Aborts the upload of the report (nothing usable is left under the key). */
  abort(error: Error): Promise<void>;
}

const CSV_COLUMNS = ['rowNumber', 'reason', 'status', 'providerMessage'] as const;

const line = (failure: RowFailure, format: ErrorReportFormat): string =>
  format === 'jsonl'
    ? `${JSON.stringify(failure)}\n`
    : stringify([CSV_COLUMNS.map((column) => failure[column] ?? '')]);

/**
 * Streams failed rows to a blob as they happen (JSON lines or CSV with a header), so a file with
 * millions of bad rows never sits in memory. Pass `report.add` as `uploadRows`' `onError`.
 */
export const createErrorReport = (
  blobs: BlobStore,
  key: string,
  format: ErrorReportFormat = 'jsonl',
): ErrorReport => {
  const stream = new PassThrough();
  // abort() destroys the stream with the upload's error; the blob store sees it through its own
  // reading, and without this listener the 'error' event would be unhandled and end the process.
  stream.on('error', () => {});
  const stored = blobs.put(key, stream, {
    contentType: format === 'jsonl' ? 'application/jsonl' : 'text/csv',
  });
  // Keep a rejection from being unhandled before close()/abort() observes it.
  stored.catch(() => {});
  let count = 0;
  const write = (text: string) =>
    new Promise<void>((resolve, reject) => {
      stream.write(text, (error) => (error ? reject(error) : resolve()));
    });
  if (format === 'csv') void write(stringify([[...CSV_COLUMNS]])).catch(() => {});
  return {
    add: async (failure) => {
      count++;
      await write(line(failure, format));
    },
    close: async () => {
      stream.end();
      await stored;
      return { key, count };
    },
    abort: async (error) => {
      stream.destroy(error);
      await stored.catch(() => {});
    },
  };
};
