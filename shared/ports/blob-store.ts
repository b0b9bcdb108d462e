import type { Readable } from 'node:stream';
import { InvalidNameError, InvalidPartError } from './errors';

/**
 * Object storage for bulk files and attachments: S3 in AWS, files under the data dir locally.
 * Bodies stream both ways so multi-GB bulk files never sit in memory.
 */
export type BlobBody = string | Uint8Array | Readable;

export interface PutBlobOptions {
  contentType?: string;
  /** Small string metadata (S3 user metadata: ASCII, keys lower-cased by S3, 2 KB in total). */
  metadata?: Record<string, string>;
}

export interface BlobInfo {
  key: string;
  size: number;
  contentType?: string;
  metadata: Record<string, string>;
  lastModified: Date;
  etag?: string;
}

export interface BlobObject extends BlobInfo {
  body: Readable;
  /** Bytes in `body` (differs from `size` for a range read). */
  contentLength: number;
}

export interface ListedBlob {
  key: string;
  size: number;
  lastModified: Date;
}

export interface BlobPage {
  items: ListedBlob[];
  cursor?: string;
}

/** A part of a multipart upload, as uploadPart returned it (completeMultipartUpload wants them back). */
export interface UploadedPart {
  partNumber: number;
  etag: string;
}

/** S3's rules, enforced by both adapters so nothing works only locally. */
export const MIN_MULTIPART_PART_BYTES = 5 * 1024 * 1024;
export const MAX_MULTIPART_PARTS = 10_000;

export interface BlobStore {
  /**
   * The least size of a multipart part that is not the last: MIN_MULTIPART_PART_BYTES for S3; the local
   * adapter can be told less so tests exercise many parts with little data. Writers size parts by it.
   */
  readonly minPartBytes: number;
  /** Create or overwrite. A Readable of unknown length is uploaded in parts (S3 multipart). */
  put(key: string, body: BlobBody, options?: PutBlobOptions): Promise<{ key: string; etag?: string }>;
  /**
   * Multipart upload whose parts may come from different processes over hours (S3 CreateMultipartUpload):
   * a bulk download writes one part per chunk and never copies the file again. The object appears only
   * when completeMultipartUpload succeeds; an upload never completed is aborted by the bucket's
   * lifecycle rule in AWS (and by abortMultipartUpload).
   */
  createMultipartUpload(key: string, options?: PutBlobOptions): Promise<{ uploadId: string }>;
  /**
   * Writes, or rewrites (same number, new ETag), part `partNumber` (1..MAX_MULTIPART_PARTS). The body is
   * in memory because S3 needs each part's length up front. Unknown upload -> NoSuchUploadError.
   */
  uploadPart(key: string, uploadId: string, partNumber: number, body: Uint8Array): Promise<UploadedPart>;
  /**
   * Makes the object from `parts` (ascending numbers, the ETags uploadPart returned; other uploaded parts
   * are dropped). Every part but the last must hold at least MIN_MULTIPART_PART_BYTES, and each ETag must be
   * the part's latest, else InvalidPartError. Unknown or already completed upload -> NoSuchUploadError.
   */
  completeMultipartUpload(
    key: string,
    uploadId: string,
    parts: readonly UploadedPart[],
  ): Promise<{ key: string; etag?: string }>;
  /**
   * The parts uploaded so far with their latest ETags, ascending (S3 ListParts, every page). The bulk
   * worker completes from this list instead of keeping ETags itself: when two deliveries of one chunk
   * message race, S3 keeps the part uploaded last and only ListParts knows its ETag.
   */
  listParts(key: string, uploadId: string): Promise<UploadedPart[]>;
  /** Drops the upload and its parts. Idempotent: an unknown upload is not an error. */
  abortMultipartUpload(key: string, uploadId: string): Promise<void>;
  /** Stream the object (or the inclusive byte range), or undefined when it does not exist. */
  get(key: string, options?: { range?: { start: number; end?: number } }): Promise<BlobObject | undefined>;
  head(key: string): Promise<BlobInfo | undefined>;
  /** Idempotent. */
  delete(key: string): Promise<void>;
  /** Keys starting with `prefix`, in UTF-8 byte order, paged. */
  list(prefix: string, options?: { cursor?: string; limit?: number }): Promise<BlobPage>;
  /**
   * A time-limited download URL (S3 presigned GET). The local adapter returns undefined: local mode
   * has no public object URL, so callers fall back to streaming the body through the API.
   */
  presignGetUrl(key: string, ttlSeconds: number): Promise<string | undefined>;
  /**
   * A time-limited upload URL (S3 presigned PUT) for files larger than the API accepts. The local
   * adapter returns undefined (local mode takes files through the API, which has no gateway limit).
   */
  presignPutUrl(
    key: string,
    ttlSeconds: number,
    options?: { contentType?: string; metadata?: Record<string, string> },
  ): Promise<string | undefined>;
}

/**
 * Keys are `/`-separated paths. Both adapters refuse keys that could escape a directory or that S3
 * treats oddly, so behaviour is the same everywhere: 1-1024 UTF-8 bytes, no leading `/`, no empty,
 * `.` or `..` segments, no backslash or control characters.
 */
export function assertValidBlobKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0 || Buffer.byteLength(key) > 1024) {
    throw new InvalidNameError('blob key', 'must be 1-1024 bytes');
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u001f\u007f\\]/.test(key)) {
    throw new InvalidNameError('blob key', 'control characters and backslashes are not allowed');
  }
  for (const segment of key.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') {
      throw new InvalidNameError('blob key', 'empty, "." and ".." path segments are not allowed');
    }
  }
}

export const MAX_LIST_LIMIT = 1000;

/** Objects a list page holds at most: the caller's limit, never more than MAX_LIST_LIMIT (S3's MaxKeys). */
export const listLimit = (options: { limit?: number }): number =>
  Math.min(options.limit ?? MAX_LIST_LIMIT, MAX_LIST_LIMIT);

/** S3 answers a bad part number with a 400 (InvalidArgument); both adapters refuse it before any I/O. */
export function assertValidPartNumber(partNumber: number): void {
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_MULTIPART_PARTS) {
    throw new RangeError(`Part number must be an integer from 1 to ${MAX_MULTIPART_PARTS}`);
  }
}

/** The part lists S3 refuses (MalformedXML for none, InvalidPartOrder), with the port's error. */
export function assertValidPartList(parts: readonly UploadedPart[]): void {
  if (parts.length === 0) throw new InvalidPartError('at least one part is required');
  let previous = 0;
  for (const part of parts) {
    if (!Number.isInteger(part.partNumber) || part.partNumber < 1 || part.partNumber > MAX_MULTIPART_PARTS) {
      throw new InvalidPartError(`part number out of range 1-${MAX_MULTIPART_PARTS}`);
    }
    if (part.partNumber <= previous) throw new InvalidPartError('part numbers must ascend');
    previous = part.partNumber;
  }
}
