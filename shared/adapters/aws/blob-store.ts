import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  type S3Client,
  type S3ClientConfig,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import {
  assertValidBlobKey,
  assertValidPartList,
  assertValidPartNumber,
  type BlobInfo,
  type BlobStore,
  InvalidPartError,
  MAX_LIST_LIMIT,
  MIN_MULTIPART_PART_BYTES,
  NoSuchUploadError,
  type UploadedPart,
} from '../../ports';

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

/**
 * How the S3 client of this adapter must be created: flexible checksums only where S3 requires one.
 * The SDK otherwise adds a CRC32 to every PutObject and UploadPart: a presigned PUT would carry the
 * CRC32 of the EMPTY presign-time body (S3 would refuse the real file), and parts would carry an
 * algorithm their upload was not created with (S3 wants them to match). Parts are protected by
 * Content-MD5 instead, and completed by ETag (the classic protocol). lib-storage reads the same setting.
 */
export const AWS_BLOB_STORE_CLIENT_CONFIG = {
  requestChecksumCalculation: 'WHEN_REQUIRED',
} as const satisfies S3ClientConfig;

const isNotFound = (error: unknown): boolean => {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
};

const errorCode = (error: unknown): string | undefined => {
  const e = error as { name?: string; Code?: string };
  return e?.Code ?? e?.name;
};

/** S3 answers an unknown, aborted or completed upload id with NoSuchUpload (404). */
const isNoSuchUpload = (error: unknown): boolean =>
  errorCode(error) === 'NoSuchUpload' ||
  (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode === 404;

const INVALID_PART_CODES = new Set(['InvalidPart', 'InvalidPartOrder', 'EntityTooSmall']);

/** Maps S3's multipart failures to the port's errors; anything else passes through untouched. */
const multipartError = (error: unknown): unknown => {
  if (isNoSuchUpload(error)) return new NoSuchUploadError({ cause: error });
  const code = errorCode(error);
  if (code && INVALID_PART_CODES.has(code)) return new InvalidPartError(code, { cause: error });
  return error;
};

/**
 * An empty upload id would turn `?uploadId=` requests into other operations (UploadPart into a
 * PutObject on some servers), so it is refused as the unknown upload it is.
 */
const assertUploadId = (uploadId: string) => {
  if (typeof uploadId !== 'string' || uploadId.length === 0) throw new NoSuchUploadError();
};

export function createAwsBlobStore(options: AwsBlobStoreOptions): BlobStore {
  const { client, bucket: Bucket } = options;
  // Checked once, through the client's resolved configuration (as lib-storage reads it).
  let checksumSetting: Promise<void> | undefined;
  const checksumsWhenRequired = (): Promise<void> => {
    checksumSetting ??= Promise.resolve(client.config.requestChecksumCalculation()).then((setting) => {
      if (setting !== AWS_BLOB_STORE_CLIENT_CONFIG.requestChecksumCalculation) {
        throw new Error(
          `The S3 client of the blob store must be created with AWS_BLOB_STORE_CLIENT_CONFIG (requestChecksumCalculation ${setting})`,
        );
      }
    });
    return checksumSetting;
  };

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
    minPartBytes: MIN_MULTIPART_PART_BYTES,

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

    async createMultipartUpload(key, uploadOptions = {}) {
      assertValidBlobKey(key);
      // No ChecksumAlgorithm: the parts are completed by ETag alone (see uploadPart).
      const output = await client.send(
        new CreateMultipartUploadCommand({
          Bucket,
          Key: key,
          ...(uploadOptions.contentType ? { ContentType: uploadOptions.contentType } : {}),
          ...(uploadOptions.metadata ? { Metadata: uploadOptions.metadata } : {}),
        }),
      );
      if (!output.UploadId) throw new Error('S3 returned no UploadId for CreateMultipartUpload');
      return { uploadId: output.UploadId };
    },

    async uploadPart(key, uploadId, partNumber, body) {
      assertValidBlobKey(key);
      assertUploadId(uploadId);
      assertValidPartNumber(partNumber);
      const command = new UploadPartCommand({
        Bucket,
        Key: key,
        UploadId: uploadId,
        PartNumber: partNumber,
        Body: body,
        ContentLength: body.byteLength,
        ContentMD5: createHash('md5').update(body).digest('base64'),
      });
      // The port hands back only `{partNumber, etag}`: no checksum algorithm on the upload or its parts
      // (AWS_BLOB_STORE_CLIENT_CONFIG); Content-MD5 (checked by S3: BadDigest) protects the bytes.
      await checksumsWhenRequired();
      try {
        const output = await client.send(command);
        if (!output.ETag) throw new Error('S3 returned no ETag for UploadPart');
        return { partNumber, etag: output.ETag };
      } catch (error) {
        throw multipartError(error);
      }
    },

    async completeMultipartUpload(key, uploadId, parts) {
      assertValidBlobKey(key);
      assertUploadId(uploadId);
      assertValidPartList(parts);
      try {
        const output = await client.send(
          new CompleteMultipartUploadCommand({
            Bucket,
            Key: key,
            UploadId: uploadId,
            MultipartUpload: {
              Parts: parts.map((part) => ({ PartNumber: part.partNumber, ETag: part.etag })),
            },
          }),
        );
        return { key, ...(output.ETag ? { etag: output.ETag } : {}) };
      } catch (error) {
        throw multipartError(error);
      }
    },

    async listParts(key, uploadId) {
      assertValidBlobKey(key);
      assertUploadId(uploadId);
      const parts: UploadedPart[] = [];
      let marker: string | undefined;
      try {
        for (;;) {
          // Up to 1,000 parts a page; an upload may hold 10,000.
          const output = await client.send(
            new ListPartsCommand({
              Bucket,
              Key: key,
              UploadId: uploadId,
              ...(marker === undefined ? {} : { PartNumberMarker: marker }),
            }),
          );
          for (const part of output.Parts ?? []) {
            if (part.PartNumber !== undefined && part.ETag) {
              parts.push({ partNumber: part.PartNumber, etag: part.ETag });
            }
          }
          const next = output.NextPartNumberMarker;
          if (!output.IsTruncated || next === undefined || next === marker) break;
          marker = next;
        }
      } catch (error) {
        throw multipartError(error);
      }
      return parts.sort((a, b) => a.partNumber - b.partNumber);
    },

    async abortMultipartUpload(key, uploadId) {
      assertValidBlobKey(key);
      if (typeof uploadId !== 'string' || uploadId.length === 0) return;
      try {
        await client.send(new AbortMultipartUploadCommand({ Bucket, Key: key, UploadId: uploadId }));
      } catch (error) {
        if (isNoSuchUpload(error)) return; // already aborted, completed or swept by the lifecycle rule
        throw error;
      }
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
      // No checksum of the empty presign-time body in the URL (AWS_BLOB_STORE_CLIENT_CONFIG).
      await checksumsWhenRequired();
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
