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
  S3Client,
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
  listLimit,
  MIN_MULTIPART_PART_BYTES,
  NoSuchUploadError,
  type PutBlobOptions,
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

/** The client the deployed functions use (the Lambda's region and credentials), built once per container. */
export const createDefaultS3Client = (): S3Client => new S3Client(AWS_BLOB_STORE_CLIENT_CONFIG);

/** What the SDK tells of a failed call: the error's name, S3's error code, the HTTP status. */
const failure = (error: unknown) => {
  const e = error as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } } | null;
  return { name: e?.name, code: e?.Code ?? e?.name, status: e?.$metadata?.httpStatusCode };
};

const isNotFound = (error: unknown): boolean => {
  const { name, status } = failure(error);
  return name === 'NoSuchKey' || name === 'NotFound' || status === 404;
};

/** S3 answers an unknown, aborted or completed upload id with NoSuchUpload (404). */
const isNoSuchUpload = (error: unknown): boolean => {
  const { code, status } = failure(error);
  return code === 'NoSuchUpload' || status === 404;
};

const INVALID_PART_CODES = new Set(['InvalidPart', 'InvalidPartOrder', 'EntityTooSmall']);

/** Throws S3's multipart failures as the port's errors; anything else passes through untouched. */
const rethrowMultipartError = (error: unknown): never => {
  if (isNoSuchUpload(error)) throw new NoSuchUploadError({ cause: error });
  const { code } = failure(error);
  if (code && INVALID_PART_CODES.has(code)) throw new InvalidPartError(code, { cause: error });
  throw error;
};

/** Undefined for a missing object (get and head answer so); anything else passes through. */
const undefinedIfNotFound = (error: unknown): undefined => {
  if (isNotFound(error)) return undefined;
  throw error;
};

/**
 * An empty upload id would turn `?uploadId=` requests into other operations (UploadPart into a
 * PutObject on some servers), so it is refused as the unknown upload it is.
 */
const assertUploadId = (uploadId: string) => {
  if (typeof uploadId !== 'string' || uploadId.length === 0) throw new NoSuchUploadError();
};

/** What S3 answers a write with: the object's ETag, when it sent one. */
const written = (key: string, output: { ETag?: string | undefined }) => ({
  key,
  ...(output.ETag ? { etag: output.ETag } : {}),
});

/** What a get or head answered, as the port's BlobInfo. */
const blobInfo = (
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

/**
 * The BlobStore port on S3. Port methods are bound own properties (arrow functions), so a store can be
 * wrapped by spreading it (`{ ...store, uploadPart }`) or its methods passed around alone.
 */
export class AwsBlobStore implements BlobStore {
  readonly minPartBytes = MIN_MULTIPART_PART_BYTES;
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #partSize: number;
  readonly #queueSize: number;
  #checksumSetting: Promise<void> | undefined;

  constructor(options: AwsBlobStoreOptions) {
    this.#client = options.client;
    this.#bucket = options.bucket;
    this.#partSize = options.partSize ?? MIN_MULTIPART_PART_BYTES;
    this.#queueSize = options.queueSize ?? 4;
  }

  readonly put: BlobStore['put'] = async (key, body, options = {}) => {
    assertValidBlobKey(key);
    const params = { ...this.#objectParams(key, options), Body: body };
    if (typeof body === 'string' || body instanceof Uint8Array) {
      return written(key, await this.#client.send(new PutObjectCommand(params)));
    }
    const upload = new Upload({
      client: this.#client,
      params,
      partSize: this.#partSize,
      queueSize: this.#queueSize,
      leavePartsOnError: false,
    });
    return written(key, await upload.done());
  };

  readonly createMultipartUpload: BlobStore['createMultipartUpload'] = async (key, options = {}) => {
    assertValidBlobKey(key);
    // No ChecksumAlgorithm: the parts are completed by ETag alone (see uploadPart).
    const output = await this.#client.send(
      new CreateMultipartUploadCommand(this.#objectParams(key, options)),
    );
    if (!output.UploadId) throw new Error('S3 returned no UploadId for CreateMultipartUpload');
    return { uploadId: output.UploadId };
  };

  readonly uploadPart: BlobStore['uploadPart'] = async (key, uploadId, partNumber, body) => {
    assertValidBlobKey(key);
    assertUploadId(uploadId);
    assertValidPartNumber(partNumber);
    const command = new UploadPartCommand({
      Bucket: this.#bucket,
      Key: key,
      UploadId: uploadId,
      PartNumber: partNumber,
      Body: body,
      ContentLength: body.byteLength,
      ContentMD5: createHash('md5').update(body).digest('base64'),
    });
    // The port hands back only `{partNumber, etag}`: no checksum algorithm on the upload or its parts
    // (AWS_BLOB_STORE_CLIENT_CONFIG); Content-MD5 (checked by S3: BadDigest) protects the bytes.
    await this.#checksumsWhenRequired();
    const output = await this.#client.send(command).catch(rethrowMultipartError);
    if (!output.ETag) throw new Error('S3 returned no ETag for UploadPart');
    return { partNumber, etag: output.ETag };
  };

  readonly completeMultipartUpload: BlobStore['completeMultipartUpload'] = async (key, uploadId, parts) => {
    assertValidBlobKey(key);
    assertUploadId(uploadId);
    assertValidPartList(parts);
    const command = new CompleteMultipartUploadCommand({
      Bucket: this.#bucket,
      Key: key,
      UploadId: uploadId,
      MultipartUpload: { Parts: parts.map((part) => ({ PartNumber: part.partNumber, ETag: part.etag })) },
    });
    return written(key, await this.#client.send(command).catch(rethrowMultipartError));
  };

  readonly listParts: BlobStore['listParts'] = async (key, uploadId) => {
    assertValidBlobKey(key);
    assertUploadId(uploadId);
    const parts: UploadedPart[] = [];
    let marker: string | undefined;
    do {
      // Up to 1,000 parts a page; an upload may hold 10,000.
      const command = new ListPartsCommand({
        Bucket: this.#bucket,
        Key: key,
        UploadId: uploadId,
        ...(marker === undefined ? {} : { PartNumberMarker: marker }),
      });
      const output = await this.#client.send(command).catch(rethrowMultipartError);
      for (const part of output.Parts ?? []) {
        if (part.PartNumber !== undefined && part.ETag)
          parts.push({ partNumber: part.PartNumber, etag: part.ETag });
      }
      const next = output.NextPartNumberMarker;
      marker = output.IsTruncated && next !== undefined && next !== marker ? next : undefined;
    } while (marker !== undefined);
    return parts.sort((a, b) => a.partNumber - b.partNumber);
  };

  readonly abortMultipartUpload: BlobStore['abortMultipartUpload'] = async (key, uploadId) => {
    assertValidBlobKey(key);
    if (typeof uploadId !== 'string' || uploadId.length === 0) return;
    try {
      await this.#client.send(
        new AbortMultipartUploadCommand({ Bucket: this.#bucket, Key: key, UploadId: uploadId }),
      );
    } catch (error) {
      if (isNoSuchUpload(error)) return; // already aborted, completed or swept by the lifecycle rule
      throw error;
    }
  };

  readonly get: BlobStore['get'] = async (key, options = {}) => {
    assertValidBlobKey(key);
    const range = options.range;
    const command = new GetObjectCommand({
      Bucket: this.#bucket,
      Key: key,
      ...(range ? { Range: `bytes=${range.start}-${range.end ?? ''}` } : {}),
    });
    const output = await this.#client.send(command).catch(undefinedIfNotFound);
    if (output === undefined) return undefined;
    return {
      ...blobInfo(key, output),
      body: output.Body as Readable,
      contentLength: output.ContentLength ?? 0,
    };
  };

  readonly head: BlobStore['head'] = async (key) => {
    assertValidBlobKey(key);
    const output = await this.#client
      .send(new HeadObjectCommand({ Bucket: this.#bucket, Key: key }))
      .catch(undefinedIfNotFound);
    return output === undefined ? undefined : blobInfo(key, output);
  };

  readonly delete: BlobStore['delete'] = async (key) => {
    assertValidBlobKey(key);
    await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: key }));
  };

  readonly list: BlobStore['list'] = async (prefix, options = {}) => {
    const output = await this.#client.send(
      new ListObjectsV2Command({
        Bucket: this.#bucket,
        Prefix: prefix,
        MaxKeys: listLimit(options),
        ...(options.cursor ? { ContinuationToken: options.cursor } : {}),
      }),
    );
    return {
      items: (output.Contents ?? []).map((object) => ({
        key: object.Key ?? '',
        size: object.Size ?? 0,
        lastModified: object.LastModified ?? new Date(0),
      })),
      ...(output.IsTruncated && output.NextContinuationToken ? { cursor: output.NextContinuationToken } : {}),
    };
  };

  readonly presignGetUrl: BlobStore['presignGetUrl'] = async (key, ttlSeconds) => {
    assertValidBlobKey(key);
    const command = new GetObjectCommand({ Bucket: this.#bucket, Key: key });
    return getSignedUrl(this.#client, command, { expiresIn: ttlSeconds });
  };

  readonly presignPutUrl: BlobStore['presignPutUrl'] = async (key, ttlSeconds, options = {}) => {
    assertValidBlobKey(key);
    const command = new PutObjectCommand(this.#objectParams(key, options));
    // No checksum of the empty presign-time body in the URL (AWS_BLOB_STORE_CLIENT_CONFIG).
    await this.#checksumsWhenRequired();
    // Content type and metadata are SIGNED HEADERS: the uploader must send exactly `Content-Type` and
    // each `x-amz-meta-<name>` with the announced values (checked by the contract test), so nobody can
    // land a file the job did not announce. Without signableHeaders the presigner signs only `host`.
    const metadataHeaders = Object.keys(options.metadata ?? {}).map(
      (name) => `x-amz-meta-${name.toLowerCase()}`,
    );
    return getSignedUrl(this.#client, command, {
      expiresIn: ttlSeconds,
      signableHeaders: new Set([...(options.contentType ? ['content-type'] : []), ...metadataHeaders]),
      unhoistableHeaders: new Set(metadataHeaders),
    });
  };

  /** Bucket, key and what the object is stored with: the common part of PutObject and CreateMultipartUpload. */
  #objectParams(key: string, options: PutBlobOptions) {
    return {
      Bucket: this.#bucket,
      Key: key,
      ...(options.contentType ? { ContentType: options.contentType } : {}),
      ...(options.metadata ? { Metadata: options.metadata } : {}),
    };
  }

  /** Checked once, through the client's resolved configuration (as lib-storage reads it). */
  #checksumsWhenRequired(): Promise<void> {
    this.#checksumSetting ??= Promise.resolve(this.#client.config.requestChecksumCalculation()).then(
      (setting) => {
        if (setting !== AWS_BLOB_STORE_CLIENT_CONFIG.requestChecksumCalculation) {
          throw new Error(
            `The S3 client of the blob store must be created with AWS_BLOB_STORE_CLIENT_CONFIG (requestChecksumCalculation ${setting})`,
          );
        }
      },
    );
    return this.#checksumSetting;
  }
}

export const createAwsBlobStore = (options: AwsBlobStoreOptions): BlobStore => new AwsBlobStore(options);
