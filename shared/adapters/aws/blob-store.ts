import type { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { assertValidBlobKey, type BlobInfo, type BlobStore, MAX_LIST_LIMIT } from '../../ports';

/**
 * S3 behind the BlobStore port. Strings and byte arrays go up in one PutObject; a stream of unknown
 * length goes through lib-storage's multipart Upload (parts of `partSize`, `queueSize` in flight),
 * which aborts the multipart upload if the stream fails, so no half object ever becomes visible.
 */
export interface AwsBlobStoreOptions {
  client: S3Client;
  bucket: string;
  /** Multipart part size in bytes (S3 minimum and default: 5 MiB). */
  partSize?: number;
  /** Parts uploaded concurrently (default 4). */
  queueSize?: number;
}

/** Flexible-checksum headers the SDK adds to a PutObject (removed from presigned uploads, see presignPutUrl). */
const CHECKSUM_HEADER = /^x-amz-(checksum-|sdk-checksum-algorithm$)/i;

/** A middleware (placed right before the presigner) that drops those headers from the request to sign. */
const withoutChecksumHeaders =
  <A extends { request: unknown }, R>(next: (args: A) => Promise<R>) =>
  (args: A): Promise<R> => {
    const { headers } = args.request as { headers: Record<string, string> };
    for (const name of Object.keys(headers)) if (CHECKSUM_HEADER.test(name)) delete headers[name];
    return next(args);
  };

const isNotFound = (error: unknown): boolean => {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
};

export function createAwsBlobStore(options: AwsBlobStoreOptions): BlobStore {
  const { client, bucket: Bucket } = options;

  const info = (
    key: string,
    output: {
      ContentLength?: number;
      ContentType?: string;
      Metadata?: Record<string, string>;
      LastModified?: Date;
      ETag?: string;
      ContentRange?: string;
    },
  ): BlobInfo => {
    // For a range read ContentLength is the range; the object size is after the `/` of Content-Range.
    const total = output.ContentRange?.split('/')[1];
    return {
      key,
      size: total && total !== '*' ? Number(total) : (output.ContentLength ?? 0),
      metadata: output.Metadata ?? {},
      lastModified: output.LastModified ?? new Date(0),
      ...(output.ContentType ? { contentType: output.ContentType } : {}),
      ...(output.ETag ? { etag: output.ETag } : {}),
    };
  };

  return {
    async put(key, body, putOptions = {}) {
      assertValidBlobKey(key);
      const params = {
        Bucket,
        Key: key,
        ...(putOptions.contentType ? { ContentType: putOptions.contentType } : {}),
        ...(putOptions.metadata ? { Metadata: putOptions.metadata } : {}),
      };
      if (typeof body === 'string' || body instanceof Uint8Array) {
        const result = await client.send(new PutObjectCommand({ ...params, Body: body }));
        return { key, ...(result.ETag ? { etag: result.ETag } : {}) };
      }
      const upload = new Upload({
        client,
        params: { ...params, Body: body },
        partSize: options.partSize ?? 5 * 1024 * 1024,
        queueSize: options.queueSize ?? 4,
        leavePartsOnError: false,
      });
      const result = await upload.done();
      return { key, ...(result.ETag ? { etag: result.ETag } : {}) };
    },

    async get(key, getOptions = {}) {
      assertValidBlobKey(key);
      const range = getOptions.range;
      try {
        const output = await client.send(
          new GetObjectCommand({
            Bucket,
            Key: key,
            ...(range ? { Range: `bytes=${range.start}-${range.end ?? ''}` } : {}),
          }),
        );
        return {
          ...info(key, output),
          body: output.Body as Readable,
          contentLength: output.ContentLength ?? 0,
        };
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },

    async head(key) {
      assertValidBlobKey(key);
      try {
        return info(key, await client.send(new HeadObjectCommand({ Bucket, Key: key })));
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },

    async delete(key) {
      assertValidBlobKey(key);
      await client.send(new DeleteObjectCommand({ Bucket, Key: key }));
    },

    async list(prefix, listOptions = {}) {
      const output = await client.send(
        new ListObjectsV2Command({
          Bucket,
          Prefix: prefix,
          MaxKeys: Math.min(listOptions.limit ?? MAX_LIST_LIMIT, MAX_LIST_LIMIT),
          ...(listOptions.cursor ? { ContinuationToken: listOptions.cursor } : {}),
        }),
      );
      return {
        items: (output.Contents ?? []).map((object) => ({
          key: object.Key ?? '',
          size: object.Size ?? 0,
          lastModified: object.LastModified ?? new Date(0),
        })),
        ...(output.IsTruncated && output.NextContinuationToken
          ? { cursor: output.NextContinuationToken }
          : {}),
      };
    },

    async presignGetUrl(key, ttlSeconds) {
      assertValidBlobKey(key);
      return getSignedUrl(client, new GetObjectCommand({ Bucket, Key: key }), { expiresIn: ttlSeconds });
    },
    async presignPutUrl(key, ttlSeconds, putOptions = {}) {
      assertValidBlobKey(key);
      const command = new PutObjectCommand({
        Bucket,
        Key: key,
        ...(putOptions.contentType ? { ContentType: putOptions.contentType } : {}),
        ...(putOptions.metadata ? { Metadata: putOptions.metadata } : {}),
      });
      // SDK v3 adds a flexible checksum to every PutObject; at presign time there is no body, so the URL
      // would carry the CRC32 of an EMPTY body (`x-amz-checksum-crc32=AAAAAA==`) and S3 would refuse the
      // real file as a checksum mismatch. A presigned upload carries no checksum (MD5/ETag still apply).
      command.middlewareStack.addRelativeTo(withoutChecksumHeaders, {
        name: 'elementPresignWithoutChecksum',
        relation: 'before',
        toMiddleware: 'presignInterceptMiddleware',
      });
      // Content type and metadata are SIGNED HEADERS: the uploader must send exactly `Content-Type` and
      // each `x-amz-meta-<name>` with the announced values (checked by the contract test), so nobody can
      // land a file the job did not announce. Without signableHeaders the presigner signs only `host`.
      const metadataHeaders = Object.keys(putOptions.metadata ?? {}).map(
        (name) => `x-amz-meta-${name.toLowerCase()}`,
      );
      return getSignedUrl(client, command, {
        expiresIn: ttlSeconds,
        signableHeaders: new Set([...(putOptions.contentType ? ['content-type'] : []), ...metadataHeaders]),
        unhoistableHeaders: new Set(metadataHeaders),
      });
    },
  };
}
