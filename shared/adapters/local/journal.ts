import { readFileSync } from 'node:fs';
import { type FileHandle, mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isNotFound, removeOrphanTemps, writeFileAtomic } from './atomic-file';

/** Compaction runs once the file holds more lines than this and more than COMPACT_RATIO per live entry. */
const COMPACT_MIN_LINES = 1000;
const COMPACT_RATIO = 4;

export interface JournalOptions<Entry> {
  path: string;
  /** The entries that rebuild the current state, one line each: what a compaction writes. */
  liveEntries(): Iterable<Entry>;
  /** How many entries liveEntries() gives now. */
  liveCount(): number;
}

/**
 * An append-only JSON-lines file, the persistence of local mode's state table and queues: one line per
 * change, so a change costs its own bytes whatever the state holds. `append` resolves once its line is
 * fsync'd; lines appended in the same turn of the event loop, or while an fsync runs, share one append
 * and one fsync (group commit). Replay skips a torn line (a crash mid-write). The file is rewritten
 * atomically with one line per live entry when it is opened and whenever it holds over 4 lines per live
 * entry. One process per file.
 */
export class Journal<Entry> {
  private handle: FileHandle | undefined;
  private lines = 0;
  private pending: { line: string; resolve: () => void; reject: (error: unknown) => void }[] = [];
  private flushing: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly options: JournalOptions<Entry>) {}

  /**
   * What an earlier process wrote, line by line, parsed (unvalidated: the owner knows its shapes).
   * Synchronous so a constructor can replay; removes the temp files of a crashed compaction.
   */
  read(): unknown[] {
    removeOrphanTemps(this.options.path);
    let text: string;
    try {
      text = readFileSync(this.options.path, 'utf8');
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
    const values: unknown[] = [];
    for (const line of text.split('\n')) {
      if (line === '') continue;
      try {
        values.push(JSON.parse(line));
      } catch {
        // A torn write from a crash: the change it held was never acknowledged.
      }
    }
    return values;
  }

  /** Rewrites the file with the live entries (after a replay, before appending). */
  async compact(): Promise<void> {
    const lines: string[] = [];
    for (const entry of this.options.liveEntries()) lines.push(JSON.stringify(entry));
    await this.handle?.close();
    this.handle = undefined;
    await mkdir(dirname(this.options.path), { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.options.path, lines.length > 0 ? `${lines.join('\n')}\n` : '');
    this.handle = await open(this.options.path, 'a', 0o600);
    this.lines = lines.length;
  }

  /** Appends one line; resolves once it (and every line before it) is on disk. */
  append(entry: Entry): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`${this.options.path} is closed`));
    const written = new Promise<void>((resolve, reject) => {
      this.pending.push({ line: `${JSON.stringify(entry)}\n`, resolve, reject });
    });
    this.scheduleFlush();
    return written;
  }

  /** Waits for every appended line, then releases the file. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.flushing) await this.flushing;
    await this.handle?.close();
    this.handle = undefined;
  }

  private scheduleFlush(): void {
    if (this.flushing) return;
    // Started after every append made in this same turn of the event loop, so they share one fsync.
    this.flushing = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.flush())
      .finally(() => {
        this.flushing = undefined;
        // An append made after the last batch was taken and before this ran would otherwise wait.
        if (this.pending.length > 0) this.scheduleFlush();
      });
  }

  /**
   * The append handle (flushes run one at a time). Opening compacts first: the file may hold what an
   * earlier process wrote, which the owner has replayed.
   */
  private async opened(): Promise<FileHandle> {
    if (!this.handle) await this.compact();
    return this.handle as FileHandle;
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      try {
        const handle = await this.opened();
        await handle.appendFile(batch.map((entry) => entry.line).join(''));
        await handle.datasync();
        this.lines += batch.length;
        for (const entry of batch) entry.resolve();
      } catch (error) {
        // One failed write (disk full) fails its callers, not every later write.
        for (const entry of batch) entry.reject(error);
        continue;
      }
      if (this.lines > COMPACT_MIN_LINES && this.lines > COMPACT_RATIO * this.options.liveCount()) {
        await this.compact().catch(() => undefined);
      }
    }
  }
}
