import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rm, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  assertValidBlobKey,
  type BlobObject,
  type BlobPage,
  type BlobStore,
  InvalidCursorError,
  type ListedBlob,
  listLimit,
  MIN_MULTIPART_PART_BYTES,
} from '../../ports';
import { fsyncPath, ifFound } from './atomic-file';
import { encryptingStream } from './blob-crypto';
import {
  BlobFiles,
  blobInfo,
  newEtag,
  readObjectRange,
  type StoredObject,
  storedOptions,
} from './blob-files';
import type { LocalBlobUrls } from './blob-urls';
import { LocalMultipartUploads } from './multipart-uploads';
import { compareUtf8 } from './state-table';

export interface LocalBlobStoreOptions {
  dataDir: string;
  /**
   * Presigned URLs served by the local server (local mode). Without them presignGetUrl/presignPutUrl
   * answer undefined and callers take files through the API.
   */
  urls?: LocalBlobUrls;
  /**
   * Smallest size of every multipart part but the last (default MIN_MULTIPART_PART_BYTES, S3's rule,
   * so nothing works only locally). Tests lower it to work with tiny parts.
   */
  minPartBytes?: number;
  /** Clock for the sweep of abandoned uploads (default Date.now). */
  now?: () => number;
}

/**
 * Blobs under `<dataDir>/blobs/`. S3 lets `a` and `a/b` both be objects, which a plain file tree
 * cannot, so each key segment is percent-encoded and prefixed: directories are `d.<seg>`, object
 * data `f.<seg>` and its metadata `m.<seg>` (JSON). Writes stream to `.tmp/`, are fsync'd and renamed
 * into place (the directory fsync'd with the metadata), so a reader never sees a partial object and an
 * acknowledged write survives a crash of the machine. Presigned URLs come from `urls` (served by the local
 * server, functions/local/blob-route.ts); without it they are undefined.
 *
 * Every data file (objects, parts, segments) is encrypted at rest with the data directory's key
 * (`secret.key`, shared with the secret store): AES-256-GCM in 64 KiB chunks (blob-crypto.ts), so
 * objects stream in and out and ranges decrypt only the chunks they touch.
 *
 * Multipart uploads are staged in `.uploads/<uploadId>/`. Completing one does not copy a byte: the
 * chosen part files are hard-linked, in order, into a "segmented object", a directory standing where
 * the data file would (`f.<seg>/000001`, `000002`, ... plus `index.json` with the segment sizes),
 * built in `.tmp/` and renamed into place. Every read path (get with ranges, head, list) treats it
 * exactly like one file of the summed size.
 *
 * Port methods are bound own properties (arrow functions), so a store can be wrapped by spreading it
 * (`{ ...store, uploadPart }`) or its methods passed around alone.
 */
export class LocalBlobStore implements BlobStore {
  readonly minPartBytes: number;
  readonly #files: BlobFiles;
  readonly #uploads: LocalMultipartUploads;
  readonly #urls: LocalBlobUrls | undefined;

  constructor(options: LocalBlobStoreOptions) {
    const minPartBytes = options.minPartBytes ?? MIN_MULTIPART_PART_BYTES;
    if (!Number.isInteger(minPartBytes) || minPartBytes < 0) {
      throw new RangeError('minPartBytes must be >= 0');
    }
    this.minPartBytes = minPartBytes;
    this.#files = new BlobFiles(options.dataDir);
    this.#uploads = new LocalMultipartUploads(this.#files, minPartBytes, options.now ?? Date.now);
    this.#urls = options.urls;
  }

  readonly put: BlobStore['put'] = async (key, body, options = {}) => {
    const paths = this.#files.pathsFor(key);
    const temp = await this.#files.tempPath('');
    const source =
      typeof body === 'string' || body instanceof Uint8Array ? Readable.from([Buffer.from(body)]) : body;
    try {
      await pipeline(
        source,
        encryptingStream(await this.#files.dataKey()),
        createWriteStream(temp, { mode: 0o600 }),
      );
      await fsyncPath(temp);
      // An opaque version tag, new on every write. Not a content MD5: S3's own ETag is none either for
      // multipart uploads, so no caller may rely on one, and hashing every byte of a multi-GB bulk file
      // costs more than the write itself.
      const meta = { ...storedOptions(options), etag: newEtag() };
      await mkdir(paths.dir, { recursive: true, mode: 0o700 });
      await this.#files.placeReplacing(temp, paths.data);
      await this.#files.writeMeta(paths.meta, meta);
      return { key, etag: meta.etag };
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  };

  readonly createMultipartUpload: BlobStore['createMultipartUpload'] = async (key, options = {}) => {
    this.#files.pathsFor(key); // refuses a key that could not be stored, before any part is sent
    return this.#uploads.create(key, options);
  };

  readonly uploadPart: BlobStore['uploadPart'] = async (key, uploadId, partNumber, body) => {
    this.#files.pathsFor(key);
    return this.#uploads.uploadPart(key, uploadId, partNumber, body);
  };

  readonly completeMultipartUpload: BlobStore['completeMultipartUpload'] = async (key, uploadId, parts) =>
    this.#uploads.complete(key, uploadId, parts, this.#files.pathsFor(key));

  readonly listParts: BlobStore['listParts'] = async (key, uploadId) => {
    this.#files.pathsFor(key);
    return this.#uploads.listParts(key, uploadId);
  };

  readonly abortMultipartUpload: BlobStore['abortMultipartUpload'] = async (key, uploadId) => {
    this.#files.pathsFor(key);
    return this.#uploads.abort(key, uploadId);
  };

  readonly get: BlobStore['get'] = async (key, options = {}) => {
    const paths = this.#files.pathsFor(key);
    const object = await this.#files.statObject(paths.data);
    if (object === undefined) return undefined;
    const meta = await this.#files.readMeta(paths.meta);
    const { start, end } = byteRange(object.size, options.range);
    const body =
      object.size === 0
        ? Readable.from([])
        : Readable.from(readObjectRange(await this.#files.dataKey(), paths.data, object, start, end), {
            objectMode: false,
          });
    return {
      ...blobInfo(key, meta, object),
      body,
      contentLength: Math.max(0, end - start + 1),
    } satisfies BlobObject;
  };

  readonly head: BlobStore['head'] = async (key) => {
    const paths = this.#files.pathsFor(key);
    const object = await this.#files.statObject(paths.data);
    if (object === undefined) return undefined;
    return blobInfo(key, await this.#files.readMeta(paths.meta), object);
  };

  readonly delete: BlobStore['delete'] = async (key) => {
    const paths = this.#files.pathsFor(key);
    await this.#files.removeTree(paths.data); // a segmented object disappears at once, not segment by segment
    await rm(paths.meta, { force: true });
    await this.#removeEmptyDirs(paths.dir);
  };

  readonly list: BlobStore['list'] = async (prefix, options = {}) => {
    const limit = listLimit(options);
    const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
    const found: ListedBlob[] = [];
    await this.#collect(this.#files.root, '', { prefix, after }, found);
    found.sort((a, b) => compareUtf8(a.key, b.key));
    const page: BlobPage = { items: found.slice(0, limit) };
    const last = page.items.at(-1);
    if (last && found.length > limit) page.cursor = Buffer.from(last.key).toString('base64url');
    return page;
  };

  readonly presignGetUrl: BlobStore['presignGetUrl'] = async (key, ttlSeconds) => {
    assertValidBlobKey(key);
    return this.#urls?.sign('GET', key, ttlSeconds);
  };

  readonly presignPutUrl: BlobStore['presignPutUrl'] = async (key, ttlSeconds, options = {}) => {
    assertValidBlobKey(key);
    return this.#urls?.sign('PUT', key, ttlSeconds, options.contentType);
  };

  /** Drops the directories a deleted object leaves empty, as S3 has no empty "folders". */
  async #removeEmptyDirs(from: string): Promise<void> {
    const root = this.#files.root;
    for (let dir = from; dir !== root && dir.startsWith(root); dir = dirname(dir)) {
      try {
        await rmdir(dir);
      } catch {
        break; // not empty (or gone)
      }
    }
  }

  /** Adds the objects below `dir` (whose keys start with `keyPrefix`) that match `filter` to `found`. */
  async #collect(
    dir: string,
    keyPrefix: string,
    filter: { prefix: string; after: string | undefined },
    found: ListedBlob[],
  ): Promise<void> {
    for (const entry of (await ifFound(readdir(dir))) ?? []) {
      // Only d./f. entries are keys: `.tmp`, `.uploads` and m. files never show.
      const kind = entry.slice(0, 2);
      if (kind !== 'd.' && kind !== 'f.') continue;
      const key = keyPrefix + decodeURIComponent(entry.slice(2));
      if (kind === 'd.') {
        const sub = `${key}/`;
        if (sub.startsWith(filter.prefix) || filter.prefix.startsWith(sub)) {
          await this.#collect(join(dir, entry), sub, filter, found);
        }
      } else if (
        key.startsWith(filter.prefix) &&
        (filter.after === undefined || compareUtf8(key, filter.after) > 0)
      ) {
        const object: StoredObject | undefined = await this.#files.statObject(join(dir, entry));
        if (object !== undefined) found.push({ key, size: object.size, lastModified: object.mtime }); // else deleted while listing
      }
    }
  }
}

export const createLocalBlobStore = (options: LocalBlobStoreOptions): BlobStore =>
  new LocalBlobStore(options);

/** The inclusive byte range a get reads: all of it, or the requested range cut to the object's end. */
function byteRange(size: number, range: { start: number; end?: number } | undefined) {
  if (range === undefined) return { start: 0, end: size - 1 };
  const end = Math.min(range.end ?? size - 1, size - 1);
  if (range.start < 0 || range.start >= size || end < range.start) {
    throw new RangeError('Requested range is not satisfiable');
  }
  return { start: range.start, end };
}

function decodeCursor(cursor: string): string {
  const key = Buffer.from(cursor, 'base64url').toString('utf8');
  if (key === '' || Buffer.from(key).toString('base64url') !== cursor) throw new InvalidCursorError();
  return key;
}
