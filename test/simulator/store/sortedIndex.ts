/**
 * An ordered index over rows, kept as a list of sorted chunks (the "sorted containers" design): insert
 * and remove cost a binary search plus a splice inside one chunk of at most 2 * CHUNK entries, so
 * updating 10,000 rows of a 1,000,000-row table never shifts a million-entry array.
 *
 * The key of a row is (row[column], row[0]) where row[0] is its sys_id, so keys are unique and ties on
 * a timestamp are ordered by sys_id — exactly the (sys_updated_on, sys_id) keyset order the client pages by.
 * For the sys_id index itself column is 0 and the key is (sys_id, sys_id).
 */

/** A stored record: values by column position; column 0 is always sys_id. */
export type Row = string[];

/** Sorts after every real value (sys_ids are hex, dates are digits). */
export const KEY_MAX = '\uffff';

export interface Bound {
  k1: string;
  k2: string;
  /** Exclusive bound. */
  x: boolean;
}

/** A position between entries: chunk number and offset inside it. */
export interface Position {
  c: number;
  i: number;
}

const CHUNK = 512;

export class SortedIndex {
  private chunksStore: Row[][] = [];
  private count = 0;
  /** Rows appended by bulk loads, merged in on the next read (one sort instead of n splices). */
  private pending: Row[] = [];

  constructor(readonly column: number) {}

  get size(): number {
    return this.count;
  }

  private get chunks(): Row[][] {
    if (this.pending.length > 0) this.merge();
    return this.chunksStore;
  }

  /** Sorts bulk-appended rows into place now rather than on the next access. */
  settle(): void {
    if (this.pending.length > 0) this.merge();
  }

  /** Bulk load: O(1) now, sorted into place on the next access. */
  append(row: Row): void {
    this.pending.push(row);
    this.count++;
  }

  private merge(): void {
    const col = this.column;
    const byId = (a: Row, b: Row): number => {
      const p = a[0] ?? '';
      const q = b[0] ?? '';
      return p < q ? -1 : p > q ? 1 : 0;
    };
    const byColumn = (a: Row, b: Row): number => {
      const x = a[col] ?? '';
      const y = b[col] ?? '';
      if (x !== y) return x < y ? -1 : 1;
      const p = a[0] ?? '';
      const q = b[0] ?? '';
      return p < q ? -1 : p > q ? 1 : 0;
    };
    const byKey = col === 0 ? byId : byColumn;
    const incoming = this.pending.sort(byKey);
    this.pending = [];
    const existing = this.chunksStore.flat();
    let merged: Row[];
    if (existing.length === 0) merged = incoming;
    else {
      merged = new Array(existing.length + incoming.length);
      let i = 0;
      let j = 0;
      let k = 0;
      while (i < existing.length && j < incoming.length) {
        merged[k++] = byKey(existing[i]!, incoming[j]!) <= 0 ? existing[i++]! : incoming[j++]!;
      }
      while (i < existing.length) merged[k++] = existing[i++]!;
      while (j < incoming.length) merged[k++] = incoming[j++]!;
    }
    const chunks: Row[][] = [];
    for (let at = 0; at < merged.length; at += CHUNK) chunks.push(merged.slice(at, at + CHUNK));
    this.chunksStore = chunks;
  }

  /** Compare a row's key to (k1, k2). */
  compare(row: Row, k1: string, k2: string): number {
    const a = row[this.column] ?? '';
    if (a < k1) return -1;
    if (a > k1) return 1;
    const s = row[0] ?? '';
    return s < k2 ? -1 : s > k2 ? 1 : 0;
  }

  /** First position whose key is >= (k1, k2), or > when `after`. */
  seek(k1: string, k2: string, after: boolean): Position {
    const chunks = this.chunks;
    const before = (row: Row): boolean => {
      const c = this.compare(row, k1, k2);
      return after ? c <= 0 : c < 0;
    };
    let lo = 0;
    let hi = chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const chunk = chunks[mid]!;
      if (before(chunk[chunk.length - 1]!)) lo = mid + 1;
      else hi = mid;
    }
    if (lo === chunks.length) return { c: lo, i: 0 };
    const chunk = chunks[lo]!;
    let a = 0;
    let b = chunk.length;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (before(chunk[mid]!)) a = mid + 1;
      else b = mid;
    }
    return { c: lo, i: a };
  }

  /** Start position of a lower bound. */
  seekLower(b: Bound): Position {
    return this.seek(b.k1, b.k2, b.x);
  }

  /** End position (exclusive) of an upper bound. */
  seekUpper(b: Bound): Position {
    return this.seek(b.k1, b.k2, !b.x);
  }

  /** Number of entries before a position. Walks chunk sizes: O(size / CHUNK). */
  rank(p: Position): number {
    let n = 0;
    const chunks = this.chunks;
    const end = Math.min(p.c, chunks.length);
    for (let c = 0; c < end; c++) n += chunks[c]!.length;
    return n + p.i;
  }

  insert(row: Row): void {
    this.count++;
    const k1 = row[this.column] ?? '';
    const k2 = row[0] ?? '';
    if (this.chunks.length === 0) {
      this.chunks.push([row]);
      return;
    }
    let p = this.seek(k1, k2, true);
    if (p.c === this.chunks.length) p = { c: p.c - 1, i: this.chunks[p.c - 1]!.length };
    const chunk = this.chunks[p.c]!;
    if (p.i === chunk.length) chunk.push(row);
    else chunk.splice(p.i, 0, row);
    if (chunk.length > 2 * CHUNK) this.chunks.splice(p.c + 1, 0, chunk.splice(CHUNK));
  }

  /** Removes a row; its key columns must still hold the values it was inserted with. */
  remove(row: Row): boolean {
    const p = this.seek(row[this.column] ?? '', row[0] ?? '', false);
    const chunk = this.chunks[p.c];
    if (!chunk || chunk[p.i] !== row) return false;
    chunk.splice(p.i, 1);
    if (chunk.length === 0) this.chunks.splice(p.c, 1);
    this.count--;
    return true;
  }

  /** Exact key lookup. */
  find(k1: string, k2: string): Row | undefined {
    const p = this.seek(k1, k2, false);
    const row = this.chunks[p.c]?.[p.i];
    return row && this.compare(row, k1, k2) === 0 ? row : undefined;
  }

  /**
   * Visits entries in [from, to) forward, or backward from `to` down to `from` when reverse.
   * The visitor returns false to stop. Returns the number of entries visited.
   */
  scan(from: Position, to: Position, reverse: boolean, visit: (row: Row) => boolean): number {
    let visited = 0;
    const chunks = this.chunks;
    if (!reverse) {
      let c = from.c;
      let i = from.i;
      while (c < to.c || (c === to.c && i < to.i)) {
        const chunk = chunks[c];
        if (!chunk) break;
        if (i >= chunk.length) {
          c++;
          i = 0;
          continue;
        }
        visited++;
        if (!visit(chunk[i]!)) return visited;
        i++;
      }
      return visited;
    }
    let c = to.c;
    let i = to.i - 1;
    while (c > from.c || (c === from.c && i >= from.i)) {
      if (i < 0) {
        c--;
        if (c < 0) break;
        i = (chunks[c]?.length ?? 0) - 1;
        continue;
      }
      const chunk = chunks[c];
      if (!chunk) {
        c--;
        i = (chunks[c]?.length ?? 0) - 1;
        continue;
      }
      visited++;
      if (!visit(chunk[i]!)) return visited;
      i--;
    }
    return visited;
  }

  /** Every row in key order. */
  *rows(): Generator<Row> {
    for (const chunk of this.chunks) yield* chunk;
  }
}
