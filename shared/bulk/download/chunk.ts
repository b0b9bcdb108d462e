import { InternalError, InvalidInputError } from '../../errors';
import { MAX_MULTIPART_PARTS } from '../../ports';
import type { SnRecord } from '../../servicenow';
import { columnsFor, FORMAT_CONTENT_TYPE, fileHead, fileTail, writePage } from './format';
import { type Batch, DEFAULT_DOWNLOAD_PAGE_SIZE, type Position, readBatch } from './pages';
import { PartWriter } from './part-writer';
import { carryKey, resultKey } from './result-file';
import type { DownloadChunkResult, RunDownloadChunkOptions } from './types';

/**
 * Reads pages after `cursor` and uploads them as parts of the result file's multipart upload. Pages are
 * read ahead by one, so ServiceNow's time and ours overlap, and a full part (at least the store's least
 * part size) uploads while the next one fills, so at most two parts sit in memory. A chunk ends at a part
 * boundary once it has read long enough (`endAfter`, `maxPages`), at the end of the rows (the last part
 * carries the file's tail; a chunk holding the whole file writes it in one put, without a multipart
 * upload), or at its deadline (bytes too few for a part wait in a carry object for the next chunk). Any
 * failure rejects before the caller commits; the caller then retries from the same cursor and the same
 * part numbers.
 */
export async function runDownloadChunk(options: RunDownloadChunkOptions): Promise<DownloadChunkResult> {
  return (await DownloadChunk.open(options)).run();
}

/** What a chunk does, fixed when it opens: its options checked, with their defaults. */
interface ChunkPlan {
  maxPages: number;
  /** The job's `limit` (rows in the whole file). */
  limit: number;
  now: () => number;
  mapRows: (rows: SnRecord[]) => Promise<SnRecord[]>;
  /** The file's column order, fixed by the first chunk (see columnsFor). */
  columns: string[] | undefined;
  /** Only the first stream writes the file's head and only the last its tail. */
  opensFile: boolean;
  closesFile: boolean;
}

/** What a chunk's steps share while they read and write pages. */
interface ChunkState {
  /** After the rows written so far: the position the cursor commits. */
  position: Position;
  /** The page read and not yet written (its rows are let go once written). */
  page: Batch;
  /** The page's rows as written (`mapRows` applied). */
  mapped: SnRecord[];
  /** Rows written by this chunk. */
  rows: number;
  /** No row is left to read (the rows are exhausted or the job's `limit` reached). */
  done: boolean;
  /** Bytes the page written last added to the part: the guess for the next page's. */
  pageBytes: number;
}

/** A page read after the first, mapped; undefined when a cancel request stopped the chunk. */
type NextPage = { page: Batch; mapped: SnRecord[] } | undefined;

/**
 * One chunk of a download, in steps: open (check the options, read the first page, fix the columns),
 * resume (the bytes carried from the chunk before, or the file's head), copy pages (read ahead, write,
 * upload full parts) until the chunk ends, then hand over (the last part, a carry object or the whole
 * file, and the cursor to commit) or, on a cancel request, give up.
 */
class DownloadChunk {
  private readonly parts: PartWriter;

  /** Checks the options, reads the chunk's first page and fixes the file's columns. */
  static async open(options: RunDownloadChunkOptions): Promise<DownloadChunk> {
    const { client, job, cursor, stream } = options;
    const maxPages = options.maxPages ?? Number.POSITIVE_INFINITY;
    if (maxPages !== Number.POSITIVE_INFINITY && (!Number.isInteger(maxPages) || maxPages < 1)) {
      throw new InvalidInputError('maxPages must be a positive integer');
    }
    const pageSize = job.pageSize ?? DEFAULT_DOWNLOAD_PAGE_SIZE;
    if (!Number.isInteger(pageSize) || pageSize < 1)
      throw new InvalidInputError('pageSize must be a positive integer');
    const key = resultKey(job.id, job.format);
    const limit = job.limit ?? Number.POSITIVE_INFINITY;
    const mapRows = options.mapRows ?? (async (rows: SnRecord[]) => rows);

    const position: Position = {
      ...(cursor.afterSysId === undefined ? {} : { afterSysId: cursor.afterSysId }),
      ...(cursor.offset === undefined ? {} : { offset: cursor.offset }),
    };
    const page = await readBatch(client, job, position, limit - cursor.rows);
    const mapped = page.rows.length === 0 ? [] : await mapRows(page.rows);
    // With a field selection the CSV header is known even for an empty result.
    const columns =
      cursor.columns ??
      (page.rows.length > 0 || (job.fields !== undefined && job.fields.length > 0)
        ? columnsFor(job.fields, mapped)
        : undefined);

    const plan: ChunkPlan = {
      maxPages,
      limit,
      now: options.now ?? Date.now,
      mapRows,
      columns,
      opensFile: stream === undefined || stream.index === 0,
      closesFile: stream === undefined || stream.index === stream.count - 1,
    };
    const state: ChunkState = { position, page, mapped, rows: 0, done: page.rows.length === 0, pageBytes: 0 };
    return new DownloadChunk(options, key, plan, state);
  }

  private constructor(
    private readonly options: RunDownloadChunkOptions,
    key: string,
    private readonly plan: ChunkPlan,
    private readonly state: ChunkState,
  ) {
    const { blobStore, job, cursor, stream } = options;
    this.parts = new PartWriter({
      blobStore,
      key,
      contentType: FORMAT_CONTENT_TYPE[job.format],
      nextPart: cursor.nextPart,
      uploadId: cursor.uploadId,
      partBase: stream?.partBase ?? 0,
      partLimit: stream?.partLimit ?? MAX_MULTIPART_PARTS,
      holdBack: !plan.closesFile,
    });
  }

  async run(): Promise<DownloadChunkResult> {
    try {
      await this.resume();
      if (!(await this.copyPages())) return await this.giveUp();
      return await this.handOver();
    } finally {
      await this.parts.release();
    }
  }

  /** Starts the chunk's bytes: those the chunk before carried, or the file's head in the first chunk. */
  private async resume(): Promise<void> {
    const { blobStore, job, cursor, stream } = this.options;
    if (cursor.carry !== undefined) {
      const object = await blobStore.get(carryKey(job.id, (cursor.chunks ?? 0) - 1, stream?.index));
      if (object === undefined || object.size !== cursor.carry) {
        throw new InternalError(`The carried bytes of bulk job ${job.id} are missing`);
      }
      for await (const bytes of object.body) this.parts.buffer.append(bytes as Buffer);
    } else if ((cursor.chunks ?? 0) === 0 && this.plan.opensFile) {
      this.parts.buffer.write(fileHead(job.format, this.plan.columns));
    }
  }

  /** Writes pages until the chunk ends; false when a cancel request stopped it. */
  private async copyPages(): Promise<boolean> {
    const { state, parts } = this;
    for (let pages = 1; !state.done; pages++) {
      // Read ahead unless the chunk is expected to end with this page (a wrong guess costs one page
      // read, dropped, or one page read without overlap).
      const ahead =
        state.page.last || this.endsWithPage(parts.length + state.pageBytes, pages)
          ? undefined
          : this.readNext(state.page.next, state.rows + state.page.rows.length);
      // Awaited below; this only keeps a failure that lands while we are suspended from being unhandled.
      ahead?.catch(() => {});
      this.writeCurrentPage();
      if (state.page.last) {
        state.done = true;
        break;
      }
      // The chunk ends at a part boundary (a page read ahead by a wrong guess is dropped)...
      if (parts.isBoundary(parts.length) && this.longEnough(pages)) break;
      // ...or at its deadline: no page starts after it, but a page read ahead before it is written.
      if (ahead === undefined && this.pastDeadline()) break;
      // A full part mid-chunk uploads while the next one fills (one upload in flight at most).
      if (parts.isFull()) await parts.uploadFull();
      let next = await (ahead ?? this.readNext(state.page.next, state.rows));
      if (next === undefined) return false;
      if (next.page.rows.length === 0) state.done = true;
      else ({ page: state.page, mapped: state.mapped } = next);
      // A suspended async function keeps its variables alive, this one included (see writeCurrentPage).
      next = undefined;
    }
    return true;
  }

  /** The page at `from` (after `written` rows of this chunk), mapped; read beside the cancel check. */
  private async readNext(from: Position, written: number): Promise<NextPage> {
    const { client, job, cursor } = this.options;
    // The cancel check runs beside the page read, not before it: keyset paging has one page in flight
    // at most, so a state-table round trip ahead of every request would be ServiceNow idle time. A
    // cancel costs at most this one page read, which is dropped.
    const [proceed, page] = await Promise.all([
      this.options.shouldContinue?.() ?? true,
      readBatch(client, job, from, this.plan.limit - cursor.rows - written),
    ]);
    if (!proceed) return undefined;
    return { page, mapped: page.rows.length === 0 ? [] : await this.plan.mapRows(page.rows) };
  }

  /** Writes the page read last into the part and moves the position past it. */
  private writeCurrentPage(): void {
    const { state, parts } = this;
    const { job, cursor } = this.options;
    const before = parts.length;
    writePage(parts.buffer, job.format, state.mapped, {
      columns: this.plan.columns ?? [],
      fields: job.fields,
      first: this.plan.opensFile && cursor.rows + state.rows === 0,
    });
    state.pageBytes = parts.length - before;
    state.rows += state.page.rows.length;
    state.position = state.page.next;
    // No reference to a written page may outlive this point. A page still held while we await the
    // next one survives the young collections that run then and is moved to the old generation,
    // which only a full collection empties: the heap would grow with the export until V8 ran one.
    state.page = { ...state.page, rows: [] };
    state.mapped = [];
  }

  /** After a page that brought the current part to `bytes`: does the chunk end there? */
  private endsWithPage(bytes: number, pages: number): boolean {
    return this.pastDeadline() || (this.longEnough(pages) && this.parts.isBoundary(bytes));
  }

  /** The chunk has read enough: its page cap or its length in time. */
  private longEnough(pages: number): boolean {
    const { endAfter } = this.options;
    return pages >= this.plan.maxPages || (endAfter !== undefined && this.plan.now() >= endAfter);
  }

  private pastDeadline(): boolean {
    const { deadline } = this.options;
    return deadline !== undefined && this.plan.now() >= deadline;
  }

  /**
   * Ends the chunk: writes the file's tail after its last row, then the whole file in one put, or the
   * bytes left in a carry object, or as the chunk's last part; answers the cursor to commit.
   */
  private async handOver(): Promise<DownloadChunkResult> {
    const { state, parts } = this;
    const { job, cursor, stream } = this.options;
    if (state.done && this.plan.closesFile) parts.buffer.write(fileTail(job.format));
    await parts.settle();
    if (state.done && parts.nextPart === 0 && stream === undefined) {
      // The whole file fits this chunk: one put, no multipart upload to start or complete.
      await parts.putWhole();
      return this.result(0);
    }
    if (!state.done && parts.mustCarry()) {
      // Stopped by the deadline under the least part size (S3 refuses a small part that is not the
      // last), or a stream holding back: the bytes wait in a carry object for the next chunk.
      return this.result(await parts.carry(carryKey(job.id, cursor.chunks ?? 0, stream?.index)));
    }
    await parts.uploadRest();
    return this.result(0);
  }

  /** A cancel request stopped the chunk: nothing is committed, so an upload this chunk started has no owner. */
  private async giveUp(): Promise<DownloadChunkResult> {
    await this.parts.abortOwnUpload();
    return { cursor: this.options.cursor, rows: 0, done: false, part: undefined, cancelled: true };
  }

  /** What the chunk did and the cursor to commit, with `carried` bytes in the carry object it wrote. */
  private result(carried: number): DownloadChunkResult {
    const { cursor } = this.options;
    const { position, rows, done } = this.state;
    const { nextPart, uploadId } = this.parts;
    const { columns } = this.plan;
    return {
      cursor: {
        ...(position.afterSysId === undefined ? {} : { afterSysId: position.afterSysId }),
        ...(position.offset === undefined ? {} : { offset: position.offset }),
        nextPart,
        chunks: (cursor.chunks ?? 0) + 1,
        rows: cursor.rows + rows,
        ...(columns === undefined ? {} : { columns }),
        ...(uploadId === undefined ? {} : { uploadId }),
        ...(carried > 0 ? { carry: carried } : {}),
      },
      rows,
      done,
      part: nextPart > cursor.nextPart ? nextPart : undefined,
    };
  }
}
