import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { GoneError, InternalError, PayloadTooLargeError } from '../../errors';
import { type BlobStore, MAX_MULTIPART_PARTS } from '../../ports';
import type { SnRecord } from '../../servicenow';
import {
  columnsFor,
  type DownloadFormat,
  FORMAT_CONTENT_TYPE,
  fileHead,
  fileTail,
  writePage,
} from './format';
import { PartBuffer } from './part-buffer';
import { partTargetBytes } from './part-writer';
import { resultKey } from './result-file';

/**
 * A finished download in another format: the job's file is streamed from the blob store, row by row, into
 * a new object (`resultKey(jobId, to)`), so a file of any size is converted with one part in memory.
 * JSON sources give byte for byte what an export in the target format writes (same rows, same columns,
 * same serializers). A CSV source gives rows of strings named by its header: what CSV kept.
 */
export interface ConvertDownloadOptions {
  blobStore: BlobStore;
  jobId: string;
  from: DownloadFormat;
  to: DownloadFormat;
  /** The export's column order (the job's cursor); JSON sources without one take columnsFor's rule. */
  columns?: readonly string[];
  /** The job's field selection (CSV columns when nothing else fixes them). */
  fields?: readonly string[];
  /** Epoch ms after which the conversion gives up (413): it must end inside one worker invocation. */
  deadline?: number;
  now?: () => number;
}

/** Rows a JSON source has before the CSV columns are fixed, like the first page of an export. */
const COLUMN_SAMPLE_ROWS = 1000;

async function* jsonRows(body: Readable): AsyncGenerator<SnRecord> {
  // JSON.stringify never writes a raw line break, so both JSON formats hold one record per line
  // (the array adds `[`, `]` and a `,` ending each record but the last).
  const lines = createInterface({ input: body, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const raw of lines) {
    const line = raw.trim();
    if (line === '' || line === '[' || line === ']') continue;
    yield JSON.parse(line.endsWith(',') ? line.slice(0, -1) : line) as SnRecord;
  }
}

async function* csvRows(body: Readable): AsyncGenerator<SnRecord> {
  yield* body.pipe(parse({ columns: true, bom: true })) as AsyncIterable<SnRecord>;
}

/** Parts of the target object, written as they fill; one put when the whole file fits the first. */
class ObjectWriter {
  private buffer: PartBuffer;
  private parts = 0;
  private uploadId: string | undefined;

  constructor(
    private readonly blobStore: BlobStore,
    private readonly key: string,
    private readonly contentType: string,
  ) {
    this.buffer = new PartBuffer(Math.ceil(blobStore.minPartBytes * 1.25));
  }

  write(text: string): void {
    this.buffer.write(text);
  }

  private target(): number {
    return partTargetBytes(this.blobStore.minPartBytes, this.parts + 1);
  }

  async flushIfFull(): Promise<void> {
    if (this.buffer.length < this.target()) return;
    await this.upload();
  }

  private async upload(): Promise<void> {
    if (this.parts + 1 > MAX_MULTIPART_PARTS) {
      throw new PayloadTooLargeError('The converted file exceeds the largest file S3 can assemble');
    }
    this.uploadId ??= (
      await this.blobStore.createMultipartUpload(this.key, { contentType: this.contentType })
    ).uploadId;
    this.parts += 1;
    await this.blobStore.uploadPart(this.key, this.uploadId, this.parts, this.buffer.bytes());
    this.buffer.clear();
  }

  async close(): Promise<void> {
    if (this.uploadId === undefined) {
      await this.blobStore.put(this.key, this.buffer.bytes(), { contentType: this.contentType });
      return;
    }
    if (this.buffer.length > 0) await this.upload();
    const parts = await this.blobStore.listParts(this.key, this.uploadId);
    await this.blobStore.completeMultipartUpload(this.key, this.uploadId, parts);
  }

  async abort(): Promise<void> {
    if (this.uploadId !== undefined) await this.blobStore.abortMultipartUpload(this.key, this.uploadId);
  }
}

export async function convertDownload(
  options: ConvertDownloadOptions,
): Promise<{ key: string; rows: number }> {
  const { blobStore, jobId, from, to } = options;
  if (from === to) throw new TypeError('Nothing to convert');
  const now = options.now ?? Date.now;
  const source = await blobStore.get(resultKey(jobId, from));
  if (source === undefined) throw new GoneError('The bulk file has expired');
  const key = resultKey(jobId, to);
  const writer = new ObjectWriter(blobStore, key, FORMAT_CONTENT_TYPE[to]);
  const rows = from === 'csv' ? csvRows(source.body) : jsonRows(source.body);
  let columns = options.columns;
  let count = 0;
  let opened = false;
  const pending: SnRecord[] = [];
  // A CSV target needs its columns before the first row: a JSON source without stored ones is sampled.
  const needsColumns = () => to === 'csv' && columns === undefined;
  const writeRows = (batch: readonly SnRecord[]) => {
    if (!opened) writer.write(fileHead(to, columns));
    opened = true;
    // Rows are already projected on the job's fields; CSV takes its columns from `columns`.
    writePage(writer, to, batch, { columns: columns ?? [], fields: undefined, first: count === 0 });
    count += batch.length;
  };
  try {
    for await (const row of rows) {
      if (needsColumns()) {
        pending.push(row);
        if (pending.length < COLUMN_SAMPLE_ROWS) continue;
        columns = columnsFor(options.fields, pending);
        writeRows(pending.splice(0));
        continue;
      }
      writeRows([row]);
      if (count % 1000 === 0) {
        await writer.flushIfFull();
        if (options.deadline !== undefined && now() >= options.deadline) {
          throw new PayloadTooLargeError(
            `The file is too large to convert in one run; download it as ${FORMAT_CONTENT_TYPE[from]}`,
          );
        }
      }
    }
    if (needsColumns() && (pending.length > 0 || (options.fields?.length ?? 0) > 0)) {
      columns = columnsFor(options.fields, pending);
    }
    writeRows(pending.splice(0));
    writer.write(fileTail(to));
    await writer.close();
  } catch (error) {
    source.body.destroy();
    await writer.abort().catch(() => undefined);
    if (error instanceof SyntaxError || (error as { code?: string }).code?.startsWith('CSV_')) {
      throw new InternalError(`The bulk file could not be read as ${FORMAT_CONTENT_TYPE[from]}`);
    }
    throw error;
  }
  return { key, rows: count };
}
