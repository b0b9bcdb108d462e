import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type BlobStore,
  InvalidNameError,
  InvalidPartError,
  NoSuchUploadError,
  type UploadedPart,
} from '../../../shared/ports';

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

/** `length` deterministic bytes that differ with `seed` (so a rewritten part is told apart). */
function patterned(length: number, seed: number): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return bytes;
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

    describe('multipart uploads', () => {
      /** Parts as a bulk download writes them: every one but the last at least minPartBytes. */
      const threeParts = () => {
        const min = store.minPartBytes;
        return [patterned(min + 3, 1), patterned(min + 5, 2), patterned(7, 3)];
      };
      const uploadAll = async (key: string, uploadId: string, parts: Buffer[]) => {
        const uploaded: UploadedPart[] = [];
        for (const [index, part] of parts.entries()) {
          uploaded.push(await store.uploadPart(key, uploadId, index + 1, part));
        }
        return uploaded;
      };
      const bytesOf = async (key: string, range?: { start: number; end?: number }) => {
        const object = await store.get(key, range ? { range } : {});
        return object === undefined ? undefined : readAll(object.body);
      };

      it('assembles the parts into one object with its content type and metadata', async () => {
        const parts = threeParts();
        const whole = Buffer.concat(parts);
        const { uploadId } = await store.createMultipartUpload('bulk/job-7/result.csv', {
          contentType: 'text/csv',
          metadata: { Job: 'job-7' },
        });
        // Parts arrive in any order (chunks are separate queue messages); completion orders them.
        const uploaded = await Promise.all(
          [2, 0, 1].map((i) => store.uploadPart('bulk/job-7/result.csv', uploadId, i + 1, parts[i]!)),
        );
        const sorted = [...uploaded].sort((a, b) => a.partNumber - b.partNumber);
        await store.completeMultipartUpload('bulk/job-7/result.csv', uploadId, sorted);

        const object = await store.get('bulk/job-7/result.csv');
        expect(object).toMatchObject({ size: whole.length, contentLength: whole.length });
        expect((await readAll(object!.body)).equals(whole)).toBe(true);
        expect(await store.head('bulk/job-7/result.csv')).toMatchObject({
          key: 'bulk/job-7/result.csv',
          size: whole.length,
          contentType: 'text/csv',
          metadata: { job: 'job-7' },
        });
        expect((await store.list('bulk/job-7/')).items).toEqual([
          { key: 'bulk/job-7/result.csv', size: whole.length, lastModified: expect.any(Date) },
        ]);
      });

      it('reads byte ranges across part boundaries', async () => {
        const parts = threeParts();
        const whole = Buffer.concat(parts);
        const firstEnd = parts[0]!.length; // first byte of part 2
        const { uploadId } = await store.createMultipartUpload('r/multi');
        await store.completeMultipartUpload('r/multi', uploadId, await uploadAll('r/multi', uploadId, parts));
        const ranges = [
          { start: firstEnd - 2, end: firstEnd + 1 }, // last 2 bytes of part 1, first 2 of part 2
          { start: 1, end: whole.length - 2 }, // all three parts, trimmed
          { start: firstEnd - 1, end: firstEnd - 1 }, // the very last byte of part 1
          { start: whole.length - 9 }, // into the last part, to the end
          { start: whole.length - 5, end: whole.length + 100 }, // end past the size is clipped
        ];
        for (const range of ranges) {
          const object = await store.get('r/multi', { range });
          const expected = whole.subarray(range.start, (range.end ?? whole.length - 1) + 1);
          expect(object?.contentLength).toBe(expected.length);
          expect(object?.size).toBe(whole.length);
          expect((await readAll(object!.body)).equals(expected)).toBe(true);
        }
      });

      it('shows nothing before completion', async () => {
        const { uploadId } = await store.createMultipartUpload('pending/obj');
        await store.uploadPart('pending/obj', uploadId, 1, patterned(10, 1));
        expect(await store.head('pending/obj')).toBeUndefined();
        expect(await store.get('pending/obj')).toBeUndefined();
        expect((await store.list('')).items).toEqual([]);
      });

      it('keeps the latest upload of a rewritten part (a chunk redone after a crash)', async () => {
        const parts = threeParts();
        const { uploadId } = await store.createMultipartUpload('bulk/rewrite');
        const first = await uploadAll('bulk/rewrite', uploadId, parts);
        const redone = patterned(parts[1]!.length + 2, 9);
        const again = await store.uploadPart('bulk/rewrite', uploadId, 2, redone);
        expect(again.partNumber).toBe(2);
        expect(again.etag).not.toBe(first[1]!.etag);

        await expect(store.completeMultipartUpload('bulk/rewrite', uploadId, first)).rejects.toBeInstanceOf(
          InvalidPartError,
        ); // part 2's first ETag is stale
        // A refused completion leaves the upload as it was: completing with the latest ETags works.
        await store.completeMultipartUpload('bulk/rewrite', uploadId, [first[0]!, again, first[2]!]);
        expect((await bytesOf('bulk/rewrite'))!.equals(Buffer.concat([parts[0]!, redone, parts[2]!]))).toBe(
          true,
        );
      });

      it('lists the parts uploaded so far with their latest ETags, ascending', async () => {
        const { uploadId } = await store.createMultipartUpload('bulk/listed');
        expect(await store.listParts('bulk/listed', uploadId)).toEqual([]);
        const parts = [patterned(store.minPartBytes, 1), patterned(store.minPartBytes, 2), patterned(3, 3)];
        const third = await store.uploadPart('bulk/listed', uploadId, 3, parts[2]!);
        const firstOld = await store.uploadPart('bulk/listed', uploadId, 1, parts[1]!);
        const second = await store.uploadPart('bulk/listed', uploadId, 2, parts[1]!);
        const first = await store.uploadPart('bulk/listed', uploadId, 1, parts[0]!);
        expect(first.etag).not.toBe(firstOld.etag);
        const listed = await store.listParts('bulk/listed', uploadId);
        expect(listed).toEqual([first, second, third]);
        await store.completeMultipartUpload('bulk/listed', uploadId, listed);
        expect((await bytesOf('bulk/listed'))!.equals(Buffer.concat(parts))).toBe(true);
      });

      it('completes from listParts with the part uploaded last when two uploads of it race', async () => {
        const { uploadId } = await store.createMultipartUpload('bulk/race');
        const a = patterned(store.minPartBytes, 1);
        const b = patterned(store.minPartBytes, 2);
        const [fromA, fromB] = await Promise.all([
          store.uploadPart('bulk/race', uploadId, 1, a),
          store.uploadPart('bulk/race', uploadId, 1, b),
        ]);
        const tail = await store.uploadPart('bulk/race', uploadId, 2, patterned(4, 3));
        const listed = await store.listParts('bulk/race', uploadId);
        expect(listed).toHaveLength(2);
        const kept = listed[0]!.etag === fromA.etag ? a : b;
        expect([fromA.etag, fromB.etag]).toContain(listed[0]!.etag);
        await store.completeMultipartUpload('bulk/race', uploadId, listed);
        expect((await bytesOf('bulk/race'))!.equals(Buffer.concat([kept, patterned(4, 3)]))).toBe(true);
        expect(listed[1]).toEqual(tail);
      });

      it('refuses a part smaller than minPartBytes unless it is the last', async () => {
        const { uploadId } = await store.createMultipartUpload('bulk/small');
        const uploaded = await uploadAll('bulk/small', uploadId, [
          patterned(store.minPartBytes - 1, 1),
          patterned(store.minPartBytes, 2),
        ]);
        await expect(store.completeMultipartUpload('bulk/small', uploadId, uploaded)).rejects.toBeInstanceOf(
          InvalidPartError,
        );
        // The same small part is fine as the last (and only) one.
        await store.completeMultipartUpload('bulk/small', uploadId, [uploaded[0]!]);
        expect(await store.head('bulk/small')).toMatchObject({ size: store.minPartBytes - 1 });
      });

      it('refuses part lists that are empty, unordered or name a part never uploaded', async () => {
        const { uploadId } = await store.createMultipartUpload('bulk/order');
        const uploaded = await uploadAll('bulk/order', uploadId, threeParts());
        for (const parts of [
          [],
          [uploaded[1]!, uploaded[0]!, uploaded[2]!],
          [uploaded[0]!, uploaded[0]!],
          [uploaded[0]!, { partNumber: 4, etag: uploaded[2]!.etag }],
        ]) {
          await expect(store.completeMultipartUpload('bulk/order', uploadId, parts)).rejects.toBeInstanceOf(
            InvalidPartError,
          );
        }
        await expect(store.uploadPart('bulk/order', uploadId, 0, patterned(1, 1))).rejects.toThrow(
          RangeError,
        );
        await expect(store.uploadPart('bulk/order', uploadId, 10_001, patterned(1, 1))).rejects.toThrow(
          RangeError,
        );
        await store.completeMultipartUpload('bulk/order', uploadId, uploaded);
        expect(await store.head('bulk/order')).toBeDefined();
      });

      it('forgets the upload once completed', async () => {
        const { uploadId } = await store.createMultipartUpload('bulk/twice');
        const uploaded = await uploadAll('bulk/twice', uploadId, [patterned(9, 1)]);
        await store.completeMultipartUpload('bulk/twice', uploadId, uploaded);
        await expect(store.completeMultipartUpload('bulk/twice', uploadId, uploaded)).rejects.toBeInstanceOf(
          NoSuchUploadError,
        );
        await expect(store.uploadPart('bulk/twice', uploadId, 2, patterned(9, 2))).rejects.toBeInstanceOf(
          NoSuchUploadError,
        );
        expect((await bytesOf('bulk/twice'))!.equals(patterned(9, 1))).toBe(true);
      });

      it('aborts idempotently: the upload and its parts are gone', async () => {
        const { uploadId } = await store.createMultipartUpload('bulk/aborted');
        const uploaded = await uploadAll('bulk/aborted', uploadId, [patterned(9, 1)]);
        await store.abortMultipartUpload('bulk/aborted', uploadId);
        await store.abortMultipartUpload('bulk/aborted', uploadId);
        await expect(store.uploadPart('bulk/aborted', uploadId, 2, patterned(9, 2))).rejects.toBeInstanceOf(
          NoSuchUploadError,
        );
        await expect(store.listParts('bulk/aborted', uploadId)).rejects.toBeInstanceOf(NoSuchUploadError);
        await expect(
          store.completeMultipartUpload('bulk/aborted', uploadId, uploaded),
        ).rejects.toBeInstanceOf(NoSuchUploadError);
        expect(await store.head('bulk/aborted')).toBeUndefined();
        await store.abortMultipartUpload('bulk/aborted', 'f'.repeat(32)); // never existed
      });

      it('answers NoSuchUploadError for an upload id it never issued', async () => {
        for (const uploadId of ['0123456789abcdef0123456789abcdef', 'not-an-upload', '../../etc']) {
          await expect(store.uploadPart('k/x', uploadId, 1, patterned(3, 1))).rejects.toBeInstanceOf(
            NoSuchUploadError,
          );
          await expect(
            store.completeMultipartUpload('k/x', uploadId, [{ partNumber: 1, etag: '"abc"' }]),
          ).rejects.toBeInstanceOf(NoSuchUploadError);
          await expect(store.listParts('k/x', uploadId)).rejects.toBeInstanceOf(NoSuchUploadError);
          await store.abortMultipartUpload('k/x', uploadId);
        }
        await expect(store.createMultipartUpload('../up')).rejects.toBeInstanceOf(InvalidNameError);
      });

      it('overwrites a plain object with a multipart one and back', async () => {
        await store.put('swap/obj', 'plain', { contentType: 'text/plain', metadata: { v: '1' } });
        const parts = threeParts();
        const multipart = async (seed: number) => {
          const { uploadId } = await store.createMultipartUpload('swap/obj', { metadata: { v: `m${seed}` } });
          const bytes = parts.map((part, i) => patterned(part.length, seed + i));
          await store.completeMultipartUpload(
            'swap/obj',
            uploadId,
            await uploadAll('swap/obj', uploadId, bytes),
          );
          return Buffer.concat(bytes);
        };

        const one = await multipart(10);
        expect((await bytesOf('swap/obj'))!.equals(one)).toBe(true);
        expect(await store.head('swap/obj')).toMatchObject({ size: one.length, metadata: { v: 'm10' } });

        const two = await multipart(20); // multipart over multipart
        expect((await bytesOf('swap/obj'))!.equals(two)).toBe(true);
        expect((await bytesOf('swap/obj', { start: 2, end: 4 }))!.equals(two.subarray(2, 5))).toBe(true);

        await store.put('swap/obj', 'small again', { metadata: { v: '3' } });
        expect((await bytesOf('swap/obj'))!.toString()).toBe('small again');
        expect(await store.head('swap/obj')).toMatchObject({ size: 11, metadata: { v: '3' } });
        expect((await store.list('swap/')).items.map((i) => [i.key, i.size])).toEqual([['swap/obj', 11]]);
      });

      it('deletes a multipart object like any other', async () => {
        const { uploadId } = await store.createMultipartUpload('gone/obj');
        await store.completeMultipartUpload(
          'gone/obj',
          uploadId,
          await uploadAll('gone/obj', uploadId, threeParts()),
        );
        await store.put('gone/other', 'stays');
        await store.delete('gone/obj');
        await store.delete('gone/obj');
        expect(await store.head('gone/obj')).toBeUndefined();
        expect(await store.get('gone/obj')).toBeUndefined();
        expect((await store.list('gone/')).items.map((i) => i.key)).toEqual(['gone/other']);
      });
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
