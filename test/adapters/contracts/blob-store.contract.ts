import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type BlobStore, InvalidNameError } from '../../../shared/ports';

export interface BlobStoreHarness {
  store: BlobStore;
  close(): Promise<void>;
}

const MiB = 1024 * 1024;

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** Deterministic pseudo-random bytes, produced in odd-sized chunks with no length known up front. */
function generated(totalBytes: number, seed: number): { stream: Readable; sha256: Promise<string> } {
  const hash = createHash('sha256');
  let state = seed;
  let sent = 0;
  let resolveHash: (value: string) => void = () => {};
  const sha256 = new Promise<string>((resolve) => {
    resolveHash = resolve;
  });
  const stream = new Readable({
    read() {
      if (sent >= totalBytes) {
        resolveHash(hash.digest('hex'));
        this.push(null);
        return;
      }
      const size = Math.min(777_777, totalBytes - sent);
      const chunk = Buffer.allocUnsafe(size);
      for (let i = 0; i < size; i++) {
        state = (state * 1103515245 + 12345) >>> 0;
        chunk[i] = state >>> 24;
      }
      hash.update(chunk);
      sent += size;
      this.push(chunk);
    },
  });
  return { stream, sha256 };
}

export function describeBlobStoreContract(name: string, factory: () => Promise<BlobStoreHarness>): void {
  describe(`BlobStore contract: ${name}`, () => {
    let harness: BlobStoreHarness;
    let store: BlobStore;
    beforeEach(async () => {
      harness = await factory();
      store = harness.store;
    });
    afterEach(async () => {
      await harness.close();
    });

    it('stores a string with content type and metadata and streams it back', async () => {
      await store.put('bulk/job-1/result.json', '{"rows":[1,2,3]}', {
        contentType: 'application/json',
        metadata: { rows: '3', Source: 'incident' },
      });
      const head = await store.head('bulk/job-1/result.json');
      expect(head).toMatchObject({
        key: 'bulk/job-1/result.json',
        size: 16,
        contentType: 'application/json',
        metadata: { rows: '3', source: 'incident' },
      });
      expect(head?.lastModified).toBeInstanceOf(Date);
      const object = await store.get('bulk/job-1/result.json');
      expect(object?.contentLength).toBe(16);
      expect((await readAll(object!.body)).toString()).toBe('{"rows":[1,2,3]}');
    });

    it('round-trips every byte value', async () => {
      const bytes = Uint8Array.from({ length: 256 * 4 }, (_, i) => i % 256);
      await store.put('attachments/bin', bytes, { contentType: 'application/octet-stream' });
      expect((await readAll((await store.get('attachments/bin'))!.body)).equals(Buffer.from(bytes))).toBe(
        true,
      );
    });

    it('uploads a 12 MiB stream of unknown length intact', async () => {
      const { stream, sha256 } = generated(12 * MiB + 12_345, 7);
      await store.put('bulk/big.csv', stream, { contentType: 'text/csv' });
      const object = await store.get('bulk/big.csv');
      expect(object?.size).toBe(12 * MiB + 12_345);
      const stored = createHash('sha256')
        .update(await readAll(object!.body))
        .digest('hex');
      expect(stored).toBe(await sha256);
    });

    it('reads byte ranges', async () => {
      await store.put('r/text', '0123456789abcdef');
      const middle = await store.get('r/text', { range: { start: 5, end: 9 } });
      expect(middle?.contentLength).toBe(5);
      expect(middle?.size).toBe(16);
      expect((await readAll(middle!.body)).toString()).toBe('56789');
      const tail = await store.get('r/text', { range: { start: 12 } });
      expect((await readAll(tail!.body)).toString()).toBe('cdef');
    });

    it('overwrites content and metadata, deletes idempotently, and reports missing keys as undefined', async () => {
      await store.put('x/obj', 'one', { metadata: { v: '1' } });
      await store.put('x/obj', 'two!', { metadata: { v: '2' } });
      expect(await store.head('x/obj')).toMatchObject({ size: 4, metadata: { v: '2' } });
      await store.delete('x/obj');
      await store.delete('x/obj');
      expect(await store.get('x/obj')).toBeUndefined();
      expect(await store.head('x/obj')).toBeUndefined();
      expect(await store.get('never/was')).toBeUndefined();
    });

    it('keeps an object and objects "below" it side by side', async () => {
      await store.put('jobs/1', 'parent');
      await store.put('jobs/1/part', 'child');
      expect((await readAll((await store.get('jobs/1'))!.body)).toString()).toBe('parent');
      expect((await readAll((await store.get('jobs/1/part'))!.body)).toString()).toBe('child');
      await store.delete('jobs/1/part');
      expect(await store.head('jobs/1')).toBeDefined();
    });

    it('lists by prefix in key order across pages', async () => {
      const keys = Array.from({ length: 12 }, (_, i) => `logs/${String(i).padStart(2, '0')}.txt`);
      for (const key of [...keys].reverse()) await store.put(key, key);
      await store.put('logsX/other', 'x');
      await store.put('nested/a/b/c', 'deep');
      const listed: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.list('logs/', { limit: 5, ...(cursor ? { cursor } : {}) });
        listed.push(...page.items.map((i) => i.key));
        expect(page.items.every((i) => i.size === i.key.length)).toBe(true);
        cursor = page.cursor;
        pages++;
      } while (cursor);
      expect(listed).toEqual(keys);
      expect(pages).toBe(3);
      expect((await store.list('logs')).items.map((i) => i.key)).toEqual([...keys, 'logsX/other']);
      expect((await store.list('nested/a/')).items.map((i) => i.key)).toEqual(['nested/a/b/c']);
      expect((await store.list('none/')).items).toEqual([]);
    });

    it('gives up on a failing stream without leaving an object behind', async () => {
      let produced = 0;
      const failing = new Readable({
        read() {
          produced++;
          if (produced > 8) this.destroy(new Error('source broke'));
          else this.push(Buffer.alloc(MiB, produced));
        },
      });
      await expect(store.put('bulk/broken', failing)).rejects.toThrow();
      expect(await store.head('bulk/broken')).toBeUndefined();
      expect((await store.list('bulk/')).items).toEqual([]);
    });

    it('refuses keys that could escape their folder', async () => {
      for (const bad of [
        '',
        '/abs',
        '../up',
        'a/../b',
        'a//b',
        'a/./b',
        'back\\slash',
        'nul\u0000',
        'x'.repeat(1025),
      ]) {
        await expect(store.put(bad, 'x')).rejects.toBeInstanceOf(InvalidNameError);
        await expect(store.get(bad)).rejects.toBeInstanceOf(InvalidNameError);
        await expect(store.delete(bad)).rejects.toBeInstanceOf(InvalidNameError);
      }
    });

    it('either presigns a working download URL or says it cannot', async () => {
      await store.put('share/me.txt', 'shared content', { contentType: 'text/plain' });
      const url = await store.presignGetUrl('share/me.txt', 60);
      if (url === undefined) return; // documented for the local adapter
      expect(url).toContain('X-Amz-Expires=60');
      const response = await fetch(url);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('shared content');
    });

    it('either presigns an upload URL that lands the object with its content type and metadata, or says it cannot', async () => {
      const url = await store.presignPutUrl('incoming/upload-1/rows.csv', 120, {
        contentType: 'text/csv',
        metadata: { job: 'job-1' },
      });
      if (url === undefined) return; // documented for the local adapter (files go through the API)
      expect(url).toContain('X-Amz-Expires=120');
      // fauxqs accepts any signature and ignores checksum parameters, so what real S3 would refuse is
      // asserted on the URL itself: content type and metadata are signed headers (an uploader cannot swap
      // them), and no checksum of the empty presign-time body is baked in (S3 would reject the real file).
      const query = new URL(url).searchParams;
      expect(query.get('X-Amz-SignedHeaders')?.split(';').sort()).toEqual([
        'content-type',
        'host',
        'x-amz-meta-job',
      ]);
      expect([...query.keys()].filter((name) => /checksum/i.test(name))).toEqual([]);
      const body = 'number,short_description\nINC1,"one, with comma"\n';
      const response = await fetch(url, {
        method: 'PUT',
        headers: { 'content-type': 'text/csv', 'x-amz-meta-job': 'job-1' },
        body,
      });
      expect(response.status).toBe(200);
      expect(await store.head('incoming/upload-1/rows.csv')).toMatchObject({
        size: Buffer.byteLength(body),
        contentType: 'text/csv',
        metadata: { job: 'job-1' },
      });
      expect((await readAll((await store.get('incoming/upload-1/rows.csv'))!.body)).toString()).toBe(body);
    });
  });
}
