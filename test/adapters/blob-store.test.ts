import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  ListPartsCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { buildApp } from 'fauxqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS_BLOB_STORE_CLIENT_CONFIG, createAwsBlobStore } from '../../shared/adapters/aws';
import { createLocalBlobStore } from '../../shared/adapters/local';
import {
  type BlobStore,
  InvalidNameError,
  InvalidPartError,
  MIN_MULTIPART_PART_BYTES,
  NoSuchUploadError,
} from '../../shared/ports';
import { describeBlobStoreContract } from './contracts/blob-store.contract';
import { emulatorClientConfig } from './emulators';
import { makeTempDir } from './temp-dir';

/** Parts per ListParts page of the shim below: small, so the adapter's paging runs over the wire. */
const SHIM_PAGE_SIZE = 2;

const xmlEscape = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/** What the shim uses of fastify's request and reply (fastify is fauxqs's dependency, not ours). */
interface ShimRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
}
interface ShimReply {
  statusCode: number;
  status(code: number): ShimReply;
  header(name: string, value: string): ShimReply;
  getHeader(name: string): unknown;
  send(payload: string): ShimReply;
}

/**
 * fauxqs 1.9.2 on loopback (see emulators.ts), plus ListParts, which it lacks (a GET with `?uploadId`
 * reaches its GetObject). The shim watches fauxqs's own multipart answers (create, UploadPart ETags,
 * complete, abort) and answers ListParts in S3's XML, paged by SHIM_PAGE_SIZE, NoSuchUpload (404) for
 * an unknown upload: everything else is fauxqs's real behaviour.
 */
async function startFauxqsWithListParts(): Promise<{ endpoint: string; close(): Promise<void> }> {
  const uploads = new Map<string, { path: string; parts: Map<number, { etag: string; size: number }> }>();
  const app = buildApp({ logger: false });
  const target = (url: string) => {
    const parsed = new URL(url, 'http://local');
    return { path: decodeURIComponent(parsed.pathname), query: parsed.searchParams };
  };
  app.addHook('onRequest', async (request: ShimRequest, reply: ShimReply) => {
    const { path, query } = target(request.url);
    const uploadId = query.get('uploadId');
    if (request.method !== 'GET' || uploadId === null) return;
    const upload = uploads.get(uploadId);
    reply.header('content-type', 'application/xml');
    if (upload === undefined || upload.path !== path) {
      reply.status(404).send('<Error><Code>NoSuchUpload</Code><Message>No such upload</Message></Error>');
      return reply;
    }
    const marker = Number(query.get('part-number-marker') ?? '0');
    const all = [...upload.parts.entries()].sort(([a], [b]) => a - b).filter(([n]) => n > marker);
    const page = all.slice(0, SHIM_PAGE_SIZE);
    const truncated = all.length > page.length;
    reply.send(
      [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
        `<UploadId>${xmlEscape(uploadId)}</UploadId><PartNumberMarker>${marker}</PartNumberMarker>`,
        truncated ? `<NextPartNumberMarker>${page.at(-1)?.[0]}</NextPartNumberMarker>` : '',
        `<MaxParts>${SHIM_PAGE_SIZE}</MaxParts><IsTruncated>${truncated}</IsTruncated>`,
        ...page.map(
          ([n, part]) =>
            `<Part><PartNumber>${n}</PartNumber><LastModified>${new Date().toISOString()}</LastModified>` +
            `<ETag>${xmlEscape(part.etag)}</ETag><Size>${part.size}</Size></Part>`,
        ),
        '</ListPartsResult>',
      ].join(''),
    );
    return reply;
  });
  app.addHook('onSend', async (request: ShimRequest, reply: ShimReply, payload: unknown) => {
    const { path, query } = target(request.url);
    const uploadId = query.get('uploadId');
    if (reply.statusCode >= 300) return payload;
    if (request.method === 'POST' && query.has('uploads') && typeof payload === 'string') {
      const created = /<UploadId>([^<]+)<\/UploadId>/.exec(payload)?.[1];
      if (created) uploads.set(created, { path, parts: new Map() });
    } else if (request.method === 'PUT' && uploadId !== null) {
      const etag = reply.getHeader('etag');
      const size = Number(request.headers['content-length'] ?? 0);
      if (typeof etag === 'string') {
        uploads.get(uploadId)?.parts.set(Number(query.get('partNumber')), { etag, size });
      }
    } else if ((request.method === 'POST' || request.method === 'DELETE') && uploadId !== null) {
      uploads.delete(uploadId);
    }
    return payload;
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    endpoint: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    close: () => app.close(),
  };
}

let fauxqs: { endpoint: string; close(): Promise<void> };
let s3: S3Client;
let buckets = 0;
beforeAll(async () => {
  fauxqs = await startFauxqsWithListParts();
  s3 = new S3Client({
    ...emulatorClientConfig(fauxqs.endpoint),
    ...AWS_BLOB_STORE_CLIENT_CONFIG,
    forcePathStyle: true,
  });
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

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

describeBlobStoreContract('S3 adapter on fauxqs', async () => ({
  store: createAwsBlobStore({ client: s3, bucket: await newBucket() }),
  close: async () => {},
}));

describeBlobStoreContract('local files', async () => {
  const temp = await makeTempDir('blobs');
  // Small parts keep the local run fast; the default (S3's 5 MiB) is checked below.
  return { store: createLocalBlobStore({ dataDir: temp.dir, minPartBytes: 1000 }), close: temp.cleanup };
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

  it('uses S3 minimum part size', () => {
    expect(createAwsBlobStore({ client: s3, bucket: 'b' }).minPartBytes).toBe(MIN_MULTIPART_PART_BYTES);
  });

  it('sends parts with Content-MD5 and no flexible checksum, and creates the upload without one', async () => {
    // Parts are completed by ETag alone, and S3 wants a part's checksum algorithm to match the one the
    // upload was created with (none); a CRC32 added by the SDK would not.
    const client = new S3Client({
      ...emulatorClientConfig(fauxqs.endpoint),
      ...AWS_BLOB_STORE_CLIENT_CONFIG,
      forcePathStyle: true,
    });
    const sent: { operation: string; headers: Record<string, string> }[] = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const { headers } = args.request as { headers: Record<string, string> };
        sent.push({ operation: String(context.commandName), headers: { ...headers } });
        return next(args);
      },
      { step: 'finalizeRequest', name: 'recordHeaders' },
    );
    try {
      const store = createAwsBlobStore({ client, bucket: await newBucket() });
      const body = Buffer.from('part body');
      const { uploadId } = await store.createMultipartUpload('wire/obj');
      const part = await store.uploadPart('wire/obj', uploadId, 1, body);
      await store.completeMultipartUpload('wire/obj', uploadId, [part]);
      const create = sent.find((r) => r.operation === 'CreateMultipartUploadCommand');
      const upload = sent.find((r) => r.operation === 'UploadPartCommand');
      expect(Object.keys(create?.headers ?? {}).filter((h) => /checksum/i.test(h))).toEqual([]);
      expect(Object.keys(upload?.headers ?? {}).filter((h) => /checksum/i.test(h))).toEqual([]);
      expect(upload?.headers['content-md5']).toBe(createHash('md5').update(body).digest('base64'));
      expect(upload?.headers['content-length']).toBe(String(body.length));
      expect((await readAll((await store.get('wire/obj'))!.body)).toString()).toBe('part body');
    } finally {
      client.destroy();
    }
  });

  it('refuses to send parts or presign uploads through a client that adds checksums by default', async () => {
    const client = new S3Client({ ...emulatorClientConfig(fauxqs.endpoint), forcePathStyle: true });
    try {
      const store = createAwsBlobStore({ client, bucket: await newBucket() });
      await expect(store.uploadPart('k', 'id', 1, Buffer.from('x'))).rejects.toThrow(
        /AWS_BLOB_STORE_CLIENT_CONFIG/,
      );
      await expect(store.presignPutUrl('incoming/x', 60)).rejects.toThrow(/AWS_BLOB_STORE_CLIENT_CONFIG/);
    } finally {
      client.destroy();
    }
  });

  describe('error mapping (mocked S3 for what fauxqs does not produce)', () => {
    const s3Error = (name: string, status: number) =>
      new S3ServiceException({
        name,
        $fault: status >= 500 ? 'server' : 'client',
        $metadata: { httpStatusCode: status },
      });
    const mocked = () => {
      const client = new S3Client({ region: 'us-east-1', ...AWS_BLOB_STORE_CLIENT_CONFIG });
      return { mock: mockClient(client), store: createAwsBlobStore({ client, bucket: 'b' }), client };
    };

    it('maps NoSuchUpload, and any 404 of a multipart call, to NoSuchUploadError', async () => {
      const { mock, store, client } = mocked();
      mock.on(UploadPartCommand).rejects(s3Error('NoSuchUpload', 404));
      mock.on(CompleteMultipartUploadCommand).rejects(s3Error('NotFound', 404));
      mock.on(ListPartsCommand).rejects(s3Error('NoSuchUpload', 404));
      await expect(store.uploadPart('k', 'id', 1, Buffer.from('x'))).rejects.toBeInstanceOf(
        NoSuchUploadError,
      );
      await expect(
        store.completeMultipartUpload('k', 'id', [{ partNumber: 1, etag: '"e"' }]),
      ).rejects.toBeInstanceOf(NoSuchUploadError);
      await expect(store.listParts('k', 'id')).rejects.toBeInstanceOf(NoSuchUploadError);
      client.destroy();
    });

    it('maps InvalidPart, InvalidPartOrder and EntityTooSmall to InvalidPartError and passes other errors on', async () => {
      const { mock, store, client } = mocked();
      const parts = [{ partNumber: 1, etag: '"e"' }];
      for (const code of ['InvalidPart', 'InvalidPartOrder', 'EntityTooSmall']) {
        mock.on(CompleteMultipartUploadCommand).rejects(s3Error(code, 400));
        const error = await store.completeMultipartUpload('k', 'id', parts).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InvalidPartError);
        expect((error as Error).message).toContain(code);
      }
      const slowDown = s3Error('SlowDown', 503);
      mock.on(CompleteMultipartUploadCommand).rejects(slowDown);
      await expect(store.completeMultipartUpload('k', 'id', parts)).rejects.toBe(slowDown);
      mock.on(UploadPartCommand).rejects(s3Error('AccessDenied', 403));
      await expect(store.uploadPart('k', 'id', 1, Buffer.from('x'))).rejects.toMatchObject({
        name: 'AccessDenied',
      });
      client.destroy();
    });

    it('aborts an unknown upload quietly but reports other failures', async () => {
      const { mock, store, client } = mocked();
      mock.on(AbortMultipartUploadCommand).rejects(s3Error('NoSuchUpload', 404));
      await store.abortMultipartUpload('k', 'id');
      mock.on(AbortMultipartUploadCommand).rejects(s3Error('AccessDenied', 403));
      await expect(store.abortMultipartUpload('k', 'id')).rejects.toMatchObject({ name: 'AccessDenied' });
      client.destroy();
    });

    it('reads every ListParts page', async () => {
      const { mock, store, client } = mocked();
      mock
        .on(ListPartsCommand)
        .resolvesOnce({
          Parts: [
            { PartNumber: 1, ETag: '"a"' },
            { PartNumber: 2, ETag: '"b"' },
          ],
          IsTruncated: true,
          NextPartNumberMarker: '2',
        })
        .resolvesOnce({ Parts: [{ PartNumber: 7, ETag: '"c"' }], IsTruncated: false });
      expect(await store.listParts('k', 'id')).toEqual([
        { partNumber: 1, etag: '"a"' },
        { partNumber: 2, etag: '"b"' },
        { partNumber: 7, etag: '"c"' },
      ]);
      const calls = mock.commandCalls(ListPartsCommand).map((call) => call.args[0].input.PartNumberMarker);
      expect(calls).toEqual([undefined, '2']);
      client.destroy();
    });

    it('sends content type and metadata at creation and the part list at completion', async () => {
      const { mock, store, client } = mocked();
      mock.on(CreateMultipartUploadCommand).resolves({ UploadId: 'up-1' });
      mock.on(CompleteMultipartUploadCommand).resolves({ ETag: '"x-2"' });
      expect(
        await store.createMultipartUpload('out/file.csv', {
          contentType: 'text/csv',
          metadata: { job: 'j' },
        }),
      ).toEqual({ uploadId: 'up-1' });
      expect(mock.commandCalls(CreateMultipartUploadCommand)[0]?.args[0].input).toEqual({
        Bucket: 'b',
        Key: 'out/file.csv',
        ContentType: 'text/csv',
        Metadata: { job: 'j' },
      });
      const parts = [
        { partNumber: 1, etag: '"p1"' },
        { partNumber: 3, etag: '"p3"' },
      ];
      expect(await store.completeMultipartUpload('out/file.csv', 'up-1', parts)).toEqual({
        key: 'out/file.csv',
        etag: '"x-2"',
      });
      expect(mock.commandCalls(CompleteMultipartUploadCommand)[0]?.args[0].input).toMatchObject({
        UploadId: 'up-1',
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: '"p1"' },
            { PartNumber: 3, ETag: '"p3"' },
          ],
        },
      });
      client.destroy();
    });

    it('refuses bad keys, upload ids and part numbers before calling S3', async () => {
      const { mock, store, client } = mocked();
      await expect(store.createMultipartUpload('a/../b')).rejects.toBeInstanceOf(InvalidNameError);
      await expect(store.uploadPart('../k', 'id', 1, Buffer.from('x'))).rejects.toBeInstanceOf(
        InvalidNameError,
      );
      for (const partNumber of [0, 10_001, 1.5, Number.NaN]) {
        await expect(store.uploadPart('k', 'id', partNumber, Buffer.from('x'))).rejects.toThrow(RangeError);
      }
      // An empty id would make `PUT ?partNumber=1&uploadId=` a PutObject on some servers.
      await expect(store.uploadPart('k', '', 1, Buffer.from('x'))).rejects.toBeInstanceOf(NoSuchUploadError);
      await expect(store.completeMultipartUpload('k', 'id', [])).rejects.toBeInstanceOf(InvalidPartError);
      await store.abortMultipartUpload('k', '');
      expect(mock.calls()).toHaveLength(0);
      client.destroy();
    });
  });
});

describe('both adapters', () => {
  it('can be wrapped by spreading and have their methods called apart from the store', async () => {
    const temp = await makeTempDir('blobs-spread');
    try {
      const stores = [
        createAwsBlobStore({ client: s3, bucket: await newBucket() }),
        createLocalBlobStore({ dataDir: temp.dir, minPartBytes: 1 }),
      ];
      for (const store of stores) {
        const uploaded: number[] = [];
        // How callers decorate a store: every port method survives the spread, bound to the store.
        const wrapped: BlobStore = {
          ...store,
          uploadPart: async (key, uploadId, partNumber, body) => {
            uploaded.push(partNumber);
            return store.uploadPart(key, uploadId, partNumber, body);
          },
        };
        const { createMultipartUpload, completeMultipartUpload, put, head } = wrapped;
        const { uploadId } = await createMultipartUpload('spread/obj');
        const part = await wrapped.uploadPart('spread/obj', uploadId, 1, Buffer.from('spread'));
        await completeMultipartUpload('spread/obj', uploadId, [part]);
        await put('spread/plain', 'plain');
        expect(uploaded).toEqual([1]);
        expect((await head('spread/obj'))?.size).toBe(6);
        expect((await readAll((await wrapped.get('spread/plain'))!.body)).toString()).toBe('plain');
        expect((await wrapped.list('spread/')).items.map((item) => item.key)).toEqual([
          'spread/obj',
          'spread/plain',
        ]);
        expect(wrapped.minPartBytes).toBe(store.minPartBytes);
      }
    } finally {
      await temp.cleanup();
    }
  });
});

describe('local blob store', () => {
  const withStore = async (
    run: (store: BlobStore, blobsDir: string) => Promise<void>,
    options: { minPartBytes?: number; now?: () => number } = {},
  ) => {
    const temp = await makeTempDir('blobs-local');
    try {
      await run(createLocalBlobStore({ dataDir: temp.dir, ...options }), join(temp.dir, 'blobs'));
    } finally {
      await temp.cleanup();
    }
  };
  const text = async (store: BlobStore, key: string, range?: { start: number; end?: number }) =>
    (await readAll((await store.get(key, range ? { range } : {}))!.body)).toString();

  it('leaves no temp files after successful and failed writes', async () => {
    await withStore(async (store, blobs) => {
      await store.put('a/b', 'ok');
      const failing = new Readable({
        read() {
          this.destroy(new Error('broken'));
        },
      });
      await expect(store.put('a/c', failing)).rejects.toThrow('broken');
      expect(await readdir(join(blobs, '.tmp'))).toEqual([]);
    });
  });

  it('enforces S3 minimum part size by default, and a configured one', async () => {
    await withStore(async (store) => {
      expect(store.minPartBytes).toBe(MIN_MULTIPART_PART_BYTES);
      const { uploadId } = await store.createMultipartUpload('k');
      const small = await store.uploadPart('k', uploadId, 1, Buffer.alloc(MIN_MULTIPART_PART_BYTES - 1));
      const last = await store.uploadPart('k', uploadId, 2, Buffer.from('end'));
      await expect(store.completeMultipartUpload('k', uploadId, [small, last])).rejects.toBeInstanceOf(
        InvalidPartError,
      );
      const full = await store.uploadPart('k', uploadId, 1, Buffer.alloc(MIN_MULTIPART_PART_BYTES));
      await store.completeMultipartUpload('k', uploadId, [full, last]);
      expect((await store.head('k'))?.size).toBe(MIN_MULTIPART_PART_BYTES + 3);
    });
    expect(() => createLocalBlobStore({ dataDir: '/nowhere', minPartBytes: -1 })).toThrow(RangeError);
  });

  it('completes without copying: the parts become the segments of the object', async () => {
    await withStore(
      async (store, blobs) => {
        const { uploadId } = await store.createMultipartUpload('dir/obj');
        const one = await store.uploadPart('dir/obj', uploadId, 1, Buffer.from('aaaa'));
        await store.uploadPart('dir/obj', uploadId, 2, Buffer.from('stale'));
        const two = await store.uploadPart('dir/obj', uploadId, 2, Buffer.from('bbbbbb'));
        await store.uploadPart('dir/obj', uploadId, 3, Buffer.from('never used'));
        const partFile = join(blobs, '.uploads', uploadId, `00001.${one.etag.replaceAll('"', '')}`);
        const { ino } = await stat(partFile);
        // The rewrite replaced part 2's first upload: one data file per part number, plus its pointer.
        const partTwoFiles = (await readdir(join(blobs, '.uploads', uploadId))).filter((f) =>
          f.startsWith('00002.'),
        );
        expect(partTwoFiles.sort()).toEqual(['00002.etag', `00002.${two.etag.replaceAll('"', '')}`].sort());

        await store.completeMultipartUpload('dir/obj', uploadId, [one, two]);
        const data = join(blobs, 'd.dir', 'f.obj');
        expect((await stat(data)).isDirectory()).toBe(true);
        expect((await readdir(data)).sort()).toEqual(['000001', '000002', 'index.json']);
        expect((await stat(join(data, '000001'))).ino).toBe(ino); // the same file, not a copy
        // The upload (stale part 2 and unused part 3 included) and temp files are gone.
        expect(await readdir(join(blobs, '.uploads'))).toEqual([]);
        expect(await readdir(join(blobs, '.tmp'))).toEqual([]);
        expect(await text(store, 'dir/obj')).toBe('aaaabbbbbb');
        expect(await store.head('dir/obj')).toMatchObject({ size: 10, etag: expect.stringMatching(/-2"$/) });
      },
      { minPartBytes: 1 },
    );
  });

  it('reads across empty parts and stores an empty multipart object', async () => {
    await withStore(
      async (store) => {
        const { uploadId } = await store.createMultipartUpload('z/obj');
        const bodies = ['01234', '', '5678', '', '9'];
        const parts = [];
        for (const [i, body] of bodies.entries()) {
          parts.push(await store.uploadPart('z/obj', uploadId, i + 1, Buffer.from(body)));
        }
        await store.completeMultipartUpload('z/obj', uploadId, parts);
        expect(await text(store, 'z/obj')).toBe('0123456789');
        expect(await text(store, 'z/obj', { start: 4, end: 5 })).toBe('45');
        expect(await text(store, 'z/obj', { start: 5, end: 5 })).toBe('5');
        expect(await text(store, 'z/obj', { start: 9 })).toBe('9');
        await expect(store.get('z/obj', { range: { start: 10 } })).rejects.toThrow(RangeError);

        const empty = await store.createMultipartUpload('z/empty', { contentType: 'text/plain' });
        const only = await store.uploadPart('z/empty', empty.uploadId, 1, new Uint8Array());
        await store.completeMultipartUpload('z/empty', empty.uploadId, [only]);
        const object = await store.get('z/empty');
        expect(object).toMatchObject({ size: 0, contentLength: 0, contentType: 'text/plain' });
        expect(await readAll(object!.body)).toHaveLength(0);
        expect((await store.list('z/')).items.map((i) => [i.key, i.size])).toEqual([
          ['z/empty', 0],
          ['z/obj', 10],
        ]);
      },
      { minPartBytes: 0 },
    );
  });

  it('stops reading segments when the reader stops', async () => {
    await withStore(
      async (store) => {
        const { uploadId } = await store.createMultipartUpload('big');
        const parts = [];
        for (let n = 1; n <= 4; n++) {
          parts.push(await store.uploadPart('big', uploadId, n, Buffer.alloc(256 * 1024, n)));
        }
        await store.completeMultipartUpload('big', uploadId, parts);
        const object = await store.get('big');
        for await (const chunk of object!.body) {
          expect((chunk as Buffer)[0]).toBe(1);
          break; // destroys the stream
        }
        expect(object!.body.destroyed).toBe(true);
      },
      { minPartBytes: 1 },
    );
  });

  it('refuses another key than the upload was created for, and ids that are not its own', async () => {
    await withStore(
      async (store, blobs) => {
        const { uploadId } = await store.createMultipartUpload('mine');
        expect(uploadId).toMatch(/^[0-9a-f]{32}$/);
        const part = await store.uploadPart('mine', uploadId, 1, Buffer.from('x'));
        await expect(store.uploadPart('other', uploadId, 1, Buffer.from('y'))).rejects.toBeInstanceOf(
          NoSuchUploadError,
        );
        await expect(store.completeMultipartUpload('other', uploadId, [part])).rejects.toBeInstanceOf(
          NoSuchUploadError,
        );
        await expect(store.listParts('other', uploadId)).rejects.toBeInstanceOf(NoSuchUploadError);
        await store.abortMultipartUpload('other', uploadId); // not this key's upload: left alone
        for (const bad of ['..', `../${uploadId}`, uploadId.toUpperCase(), `${uploadId}/x`, '.tmp']) {
          await expect(store.listParts('mine', bad)).rejects.toBeInstanceOf(NoSuchUploadError);
        }
        await store.completeMultipartUpload('mine', uploadId, [part]);
        expect(await text(store, 'mine')).toBe('x');
        expect((await store.list('')).items.map((i) => i.key)).toEqual(['mine']);
        expect(await readdir(blobs)).not.toContain('f.other');
      },
      { minPartBytes: 1 },
    );
  });

  it('drops uploads initiated more than a day ago, like the bucket lifecycle rule', async () => {
    let offset = 0;
    const hour = 60 * 60 * 1000;
    await withStore(
      async (store) => {
        const old = await store.createMultipartUpload('a');
        await store.uploadPart('a', old.uploadId, 1, Buffer.from('a'));
        offset = 23 * hour;
        const recent = await store.createMultipartUpload('b');
        expect(await store.listParts('a', old.uploadId)).toHaveLength(1); // 23 h: kept
        offset = 25 * hour;
        const fresh = await store.createMultipartUpload('c');
        await expect(store.listParts('a', old.uploadId)).rejects.toBeInstanceOf(NoSuchUploadError);
        await expect(store.listParts('b', recent.uploadId)).rejects.toBeInstanceOf(NoSuchUploadError);
        expect(await store.listParts('c', fresh.uploadId)).toEqual([]);
      },
      { minPartBytes: 1, now: () => Date.now() + offset },
    );
  });
});
