import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLocalBlobStore } from '../../shared/adapters/local';
import { PartWriter, type PartWriterOptions } from '../../shared/bulk/download/part-writer';
import { PayloadTooLargeError } from '../../shared/errors';
import type { BlobStore } from '../../shared/ports';
import { blobText } from './engine-fixture';

const KEY = 'jobs/writer/result.csv';
const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** A local store with parts of 10 bytes or more that notes every write it is asked for. */
const recordingStore = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'part-writer-'));
  dirs.push(dir);
  const inner = createLocalBlobStore({ dataDir: dir, minPartBytes: 10 });
  const calls: string[] = [];
  const store: BlobStore = {
    ...inner,
    minPartBytes: 10,
    put: (key, body, options) => {
      calls.push(`put ${key} ${(body as Uint8Array).length}`);
      return inner.put(key, body, options);
    },
    createMultipartUpload: (key, options) => {
      calls.push(`create ${key}`);
      return inner.createMultipartUpload(key, options);
    },
    uploadPart: (key, uploadId, partNumber, body) => {
      calls.push(`part ${partNumber} ${Buffer.from(body).toString()}`);
      return inner.uploadPart(key, uploadId, partNumber, body);
    },
    abortMultipartUpload: (key, uploadId) => {
      calls.push(`abort ${key}`);
      return inner.abortMultipartUpload(key, uploadId);
    },
  };
  return { store, calls };
};

const writerOn = (blobStore: BlobStore, options: Partial<PartWriterOptions> = {}) =>
  new PartWriter({
    blobStore,
    key: KEY,
    contentType: 'text/csv',
    nextPart: 0,
    uploadId: undefined,
    partBase: 0,
    partLimit: 10_000,
    holdBack: false,
    ...options,
  });

describe('the parts a download chunk writes', () => {
  it("numbers parts after the committed ones and the stream's base, in the upload it was given", async () => {
    const { store, calls } = await recordingStore();
    const { uploadId } = await store.createMultipartUpload(KEY);
    calls.length = 0;
    const writer = writerOn(store, { nextPart: 2, uploadId, partBase: 100, partLimit: 50 });
    writer.buffer.write('a'.repeat(9));
    expect(writer.isFull()).toBe(false);
    writer.buffer.write('a');
    expect(writer.isFull()).toBe(true);
    await writer.uploadFull();
    writer.buffer.write('bcd');
    await writer.settle();
    expect(writer.length).toBe(3);
    expect(writer.mustCarry()).toBe(true);
    await writer.uploadRest();
    expect(calls).toEqual([`part 103 ${'a'.repeat(10)}`, 'part 104 bcd']);
    expect(writer.nextPart).toBe(4);
    expect(writer.uploadId).toBe(uploadId);
    await writer.release();
  });

  it("holds a part's worth back when its stream does not close the file, and carries it", async () => {
    const { store, calls } = await recordingStore();
    const writer = writerOn(store, { holdBack: true });
    writer.buffer.write('x'.repeat(19));
    expect(writer.isFull()).toBe(false);
    expect(writer.isBoundary(0)).toBe(true);
    writer.buffer.write('y'.repeat(6));
    expect(writer.isFull()).toBe(true);
    await writer.uploadFull();
    await writer.settle();
    // 25 bytes: 15 go up as part 1, the last 10 (the least part size) stay for the part after.
    expect(writer.length).toBe(10);
    expect(writer.mustCarry()).toBe(true);
    expect(await writer.carry('jobs/writer/carry/s001-000000')).toBe(10);
    expect(calls).toEqual([
      `create ${KEY}`,
      `part 1 ${'x'.repeat(15)}`,
      'put jobs/writer/carry/s001-000000 10',
    ]);
    expect(await blobText(store, 'jobs/writer/carry/s001-000000')).toBe(`${'x'.repeat(4)}${'y'.repeat(6)}`);
    await writer.release();
  });

  it('aborts a multipart upload it started, and never one a committed chunk started', async () => {
    const { store, calls } = await recordingStore();
    const started = writerOn(store);
    started.buffer.write('z'.repeat(12));
    await started.uploadFull();
    await started.abortOwnUpload();
    await started.release();
    const { uploadId } = await store.createMultipartUpload(KEY);
    const given = writerOn(store, { nextPart: 1, uploadId });
    given.buffer.write('z'.repeat(12));
    await given.uploadFull();
    await given.abortOwnUpload();
    await given.release();
    expect(calls.filter((call) => call.startsWith('abort'))).toEqual([`abort ${KEY}`]);
    expect(await store.listParts(KEY, uploadId)).toHaveLength(1);
  });

  it("refuses a part past its stream's part numbers", async () => {
    const { store, calls } = await recordingStore();
    const writer = writerOn(store, { nextPart: 1, partLimit: 1 });
    writer.buffer.write('late');
    await expect(writer.uploadRest()).rejects.toBeInstanceOf(PayloadTooLargeError);
    expect(calls).toEqual([]);
    await writer.release();
  });

  it('writes a file that fits one chunk in one put, without a multipart upload', async () => {
    const { store, calls } = await recordingStore();
    const writer = writerOn(store);
    writer.buffer.write('number\nINC1\n');
    await writer.putWhole();
    await writer.release();
    expect(calls).toEqual([`put ${KEY} 12`]);
    expect(await blobText(store, KEY)).toBe('number\nINC1\n');
  });
});
