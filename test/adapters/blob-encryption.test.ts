import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalBlobStore } from '../../shared/adapters/local';
import { CHUNK_BYTES, plainSize } from '../../shared/adapters/local/blob-crypto';
import type { BlobStore } from '../../shared/ports';
import { makeTempDir } from './temp-dir';

let dir: string;
let cleanup: () => Promise<void>;
let store: BlobStore;
beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir('blob-encryption'));
  store = createLocalBlobStore({ dataDir: dir, minPartBytes: 1 });
});
afterEach(() => cleanup());

/** Every file under blobs/, by path. */
const storedFiles = async () => {
  const entries = await readdir(join(dir, 'blobs'), { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && !entry.name.startsWith('m.'))
    .map((e) => join(e.parentPath, e.name));
};
/** Readable, distinct lines: a leak of any of them on disk would show. */
const rows = (count: number, tag: string) =>
  Array.from(
    { length: count },
    (_, i) => `${tag}-row-${String(i).padStart(6, '0')},secret value ${i}\n`,
  ).join('');
const read = async (key: string, range?: { start: number; end?: number }) => {
  const object = await store.get(key, range === undefined ? {} : { range });
  if (object === undefined) throw new Error(`no ${key}`);
  return text(object.body);
};

describe('local blob files at rest', () => {
  it('stores objects and multipart parts encrypted, and reads any range back exactly', async () => {
    const whole = rows(8000, 'put'); // ~280 KB: several 64 KiB chunks
    await store.put('jobs/a/result.csv', whole);
    const parts = [rows(3000, 'p1'), rows(10, 'p2'), rows(2500, 'p3')];
    const { uploadId } = await store.createMultipartUpload('jobs/b/result.csv');
    const uploaded = [];
    for (const [i, part] of parts.entries()) {
      uploaded.push(await store.uploadPart('jobs/b/result.csv', uploadId, i + 1, Buffer.from(part)));
    }
    await store.completeMultipartUpload('jobs/b/result.csv', uploadId, uploaded);

    for (const file of await storedFiles()) {
      const bytes = await readFile(file);
      expect(bytes.includes('secret value')).toBe(false);
      expect(bytes.includes('-row-')).toBe(false);
    }
    expect((await store.head('jobs/a/result.csv'))?.size).toBe(Buffer.byteLength(whole));
    expect(await read('jobs/a/result.csv')).toBe(whole);
    const joined = parts.join('');
    expect((await store.head('jobs/b/result.csv'))?.size).toBe(Buffer.byteLength(joined));
    expect(await read('jobs/b/result.csv')).toBe(joined);
    // Ranges across chunk and segment boundaries, and the last byte.
    for (const [start, end] of [
      [CHUNK_BYTES - 5, CHUNK_BYTES + 5],
      [0, 0],
      [2 * CHUNK_BYTES, 3 * CHUNK_BYTES + 17],
      [whole.length - 1, whole.length - 1],
    ] as const) {
      expect(await read('jobs/a/result.csv', { start, end })).toBe(whole.slice(start, end + 1));
    }
    const boundary = parts[0]?.length ?? 0;
    expect(await read('jobs/b/result.csv', { start: boundary - 3, end: boundary + 400 })).toBe(
      joined.slice(boundary - 3, boundary + 401),
    );
    expect((await store.list('jobs/')).items.map((item) => item.size)).toEqual([
      Buffer.byteLength(whole),
      Buffer.byteLength(joined),
    ]);
  });

  it('refuses a tampered or truncated file instead of returning altered bytes', async () => {
    await store.put('jobs/c/result.csv', rows(4000, 'tamper'));
    const [file] = (await storedFiles()).filter((path) => path.endsWith('f.result.csv'));
    if (file === undefined) throw new Error('no data file');
    const bytes = await readFile(file);
    const flipped = Buffer.from(bytes);
    flipped[100] = (flipped[100] ?? 0) ^ 1;
    await writeFile(file, flipped);
    await expect(read('jobs/c/result.csv')).rejects.toThrow(/could not be decrypted/);
    // Cut at a chunk boundary: the new last chunk was not sealed as the last one.
    await writeFile(file, bytes.subarray(0, 12 + CHUNK_BYTES + 16));
    expect(plainSize(12 + CHUNK_BYTES + 16)).toBe(CHUNK_BYTES);
    await expect(read('jobs/c/result.csv')).rejects.toThrow(/could not be decrypted/);
  });

  it('stores an empty object as one sealed empty chunk', async () => {
    await store.put('jobs/d/empty.csv', '');
    expect((await store.head('jobs/d/empty.csv'))?.size).toBe(0);
    expect(await read('jobs/d/empty.csv')).toBe('');
  });
});
