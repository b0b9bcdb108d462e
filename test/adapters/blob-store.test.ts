import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsBlobStore } from '../../shared/adapters/aws';
import { createLocalBlobStore } from '../../shared/adapters/local';
import { describeBlobStoreContract } from './contracts/blob-store.contract';
import { emulatorClientConfig, type Fauxqs, startFauxqs } from './emulators';
import { makeTempDir } from './temp-dir';

let fauxqs: Fauxqs;
let s3: S3Client;
let buckets = 0;
beforeAll(async () => {
  fauxqs = await startFauxqs();
  s3 = new S3Client({ ...emulatorClientConfig(fauxqs.endpoint), forcePathStyle: true });
});
afterAll(async () => {
  s3.destroy();
  await fauxqs.close();
});

const newBucket = async () => {
  const bucket = `blobs-${++buckets}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
};

describeBlobStoreContract('S3 adapter on fauxqs', async () => ({
  store: createAwsBlobStore({ client: s3, bucket: await newBucket() }),
  close: async () => {},
}));

describeBlobStoreContract('local files', async () => {
  const temp = await makeTempDir('blobs');
  return { store: createLocalBlobStore({ dataDir: temp.dir }), close: temp.cleanup };
});

describe('S3 blob store', () => {
  it('sends a stream of unknown length as a multipart upload in 5 MiB parts', async () => {
    const store = createAwsBlobStore({ client: s3, bucket: await newBucket(), queueSize: 2 });
    const data = Buffer.alloc(11 * 1024 * 1024 + 1, 'z');
    const { etag } = await store.put('mp/object', Readable.from([data.subarray(0, 3), data.subarray(3)]));
    // A multipart ETag is "<md5 of part md5s>-<part count>": 5 + 5 + 1 MiB -> 3 parts.
    expect(etag).toMatch(/-3"?$/);
    const head = await store.head('mp/object');
    expect(head?.size).toBe(data.length);
    const chunks: Buffer[] = [];
    for await (const chunk of (await store.get('mp/object'))!.body) chunks.push(chunk as Buffer);
    expect(createHash('sha256').update(Buffer.concat(chunks)).digest('hex')).toBe(
      createHash('sha256').update(data).digest('hex'),
    );
  });
});

describe('local blob store', () => {
  it('leaves no temp files after successful and failed writes', async () => {
    const temp = await makeTempDir('blobs-tmp');
    try {
      const store = createLocalBlobStore({ dataDir: temp.dir });
      await store.put('a/b', 'ok');
      const failing = new Readable({
        read() {
          this.destroy(new Error('broken'));
        },
      });
      await expect(store.put('a/c', failing)).rejects.toThrow('broken');
      expect(await readdir(join(temp.dir, 'blobs', '.tmp'))).toEqual([]);
    } finally {
      await temp.cleanup();
    }
  });
});
