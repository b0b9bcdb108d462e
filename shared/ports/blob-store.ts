import type { Readable } from 'node:stream';
import { InvalidNameError } from './errors';

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

export interface BlobStore {
  /** Create or overwrite. A Readable of unknown length is uploaded in parts (S3 multipart). */
  put(key: string, body: BlobBody, options?: PutBlobOptions): Promise<{ key: string; etag?: string }>;
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
