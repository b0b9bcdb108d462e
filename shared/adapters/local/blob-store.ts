import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { link, mkdir, open, readdir, readFile, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  assertValidBlobKey,
  assertValidPartList,
  assertValidPartNumber,
  type BlobInfo,
  type BlobPage,
  type BlobStore,
  InvalidCursorError,
  InvalidNameError,
  InvalidPartError,
  type ListedBlob,
  MAX_LIST_LIMIT,
  MIN_MULTIPART_PART_BYTES,
  NoSuchUploadError,
  type UploadedPart,
} from '../../ports';
import { fsyncPath, isNotFound, writeFileAtomic } from './atomic-file';
import { decryptRange, encryptBuffer, encryptingStream, plainSize } from './blob-crypto';
import type { LocalBlobUrls } from './blob-urls';
import { loadOrCreateDataKey } from './secret-store';
import { compareUtf8 } from './state-table';

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
 */
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

interface StoredMeta {
  contentType?: string;
  metadata: Record<string, string>;
  etag: string;
}

/** `.uploads/<uploadId>/upload.json`: what createMultipartUpload was told. */
interface UploadMeta {
  key: string;
  contentType?: string;
  metadata: Record<string, string>;
}

/** `f.<seg>/index.json` of a segmented object: the byte size of each segment file, in order. */
interface SegmentIndex {
  sizes: number[];
}

const UPLOAD_ID = /^[0-9a-f]{32}$/;
const UPLOAD_META = 'upload.json';
/** `00002.etag`: holds the ETag (hex) of the latest upload of part 2, whose bytes are `00002.<etag>`. */
const PART_POINTER = /^\d{5}\.etag$/;
const SEGMENT_INDEX = 'index.json';
/** The bucket's lifecycle rule aborts incomplete multipart uploads after 1 day (infra); so does this. */
const ABANDONED_UPLOAD_MS = 24 * 60 * 60 * 1000;
/** rename() failures meaning "the target is a file where a directory goes, or the reverse". */
const REPLACE_CODES = new Set(['EISDIR', 'ENOTDIR', 'ENOTEMPTY', 'EEXIST', 'EPERM']);
/** link() failures of file systems without hard links: fall back to moving the part file. */
const NO_LINK_CODES = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EMLINK']);

const encodeSegment = (segment: string) => {
  const encoded = encodeURIComponent(segment);
  if (encoded.length > 240)
    throw new InvalidNameError('blob key', 'a path segment is too long for local storage');
  return encoded;
};

const errorCode = (error: unknown): unknown => (error as { code?: unknown } | null)?.code;
const partFileName = (partNumber: number) => String(partNumber).padStart(5, '0');
const segmentFileName = (index: number) => String(index + 1).padStart(6, '0');
const unquote = (etag: string) => etag.replaceAll('"', '');
const lowerCaseKeys = (metadata: Record<string, string> = {}) =>
  // S3 lower-cases user metadata keys; do the same so code behaves alike in both modes.
  Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k.toLowerCase(), v]));

export function createLocalBlobStore(options: LocalBlobStoreOptions): BlobStore {
  const root = join(options.dataDir, 'blobs');
  const tempDir = join(root, '.tmp');
  const uploadsDir = join(root, '.uploads');
  const minPartBytes = options.minPartBytes ?? MIN_MULTIPART_PART_BYTES;
  if (!Number.isInteger(minPartBytes) || minPartBytes < 0) throw new RangeError('minPartBytes must be >= 0');
  const now = options.now ?? Date.now;
  let keyPromise: Promise<Buffer> | undefined;
  const dataKey = () => {
    keyPromise ??= loadOrCreateDataKey(options.dataDir);
    keyPromise.catch(() => {
      keyPromise = undefined;
    });
    return keyPromise;
  };

  const pathsFor = (key: string) => {
    assertValidBlobKey(key);
    const segments = key.split('/').map(encodeSegment);
    const last = segments.pop() ?? '';
    const dir = join(root, ...segments.map((s) => `d.${s}`));
    return { dir, data: join(dir, `f.${last}`), meta: join(dir, `m.${last}`) };
  };

  const tempPath = (prefix: string) => join(tempDir, `${prefix}${randomBytes(8).toString('hex')}`);

  const readMeta = async (path: string): Promise<StoredMeta> => {
    try {
      return JSON.parse(await readFile(path, 'utf8')) as StoredMeta;
    } catch (error) {
      if (isNotFound(error)) return { metadata: {}, etag: '""' };
      throw error;
    }
  };

  /** Size and time of a segmented object, or undefined when it vanished meanwhile. */
  const readSegmented = async (
    dataPath: string,
  ): Promise<{ sizes: number[]; size: number; mtime: Date } | undefined> => {
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(join(dataPath, SEGMENT_INDEX), 'r');
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    try {
      // The index is written when the object is completed: its time is the object's lastModified.
      const { mtime } = await handle.stat();
      const { sizes } = JSON.parse(await handle.readFile('utf8')) as SegmentIndex;
      return { sizes, size: sizes.reduce((sum, n) => sum + n, 0), mtime };
    } finally {
      await handle.close();
    }
  };

  /**
   * Moves `source` (a file or a segmented directory) to `target`, replacing whatever is there. A rename
   * replaces a file by a file atomically but cannot put a file over a directory or the reverse; then
   * the old object is first moved aside into `.tmp/` (readers briefly see no object) and removed after.
   */
  const placeReplacing = async (source: string, target: string): Promise<void> => {
    const aside: string[] = [];
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          await rename(source, target);
          return;
        } catch (error) {
          if (attempt >= 3 || !REPLACE_CODES.has(errorCode(error) as string)) throw error;
        }
        const old = tempPath('old-');
        try {
          await rename(target, old);
          aside.push(old);
        } catch (error) {
          if (!isNotFound(error)) throw error; // gone meanwhile: just retry
        }
      }
    } finally {
      for (const old of aside) await rm(old, { recursive: true, force: true });
    }
  };

  /** Removes a file or directory tree so that it disappears at once (rename), then deletes it. */
  const removeTree = async (path: string): Promise<void> => {
    const old = tempPath('old-');
    try {
      await mkdir(tempDir, { recursive: true, mode: 0o700 });
      await rename(path, old);
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
    await rm(old, { recursive: true, force: true });
  };

  const info = (key: string, meta: StoredMeta, size: number, mtime: Date): BlobInfo => ({
    key,
    size,
    metadata: meta.metadata,
    lastModified: mtime,
    etag: meta.etag,
    ...(meta.contentType ? { contentType: meta.contentType } : {}),
  });

  /** The upload's folder and meta; NoSuchUploadError for a malformed, unknown or other key's id. */
  const openUpload = async (key: string, uploadId: string): Promise<{ dir: string; meta: UploadMeta }> => {
    // The id becomes a path: only our own 32-hex ids are accepted, so none can leave `.uploads/`.
    if (typeof uploadId !== 'string' || !UPLOAD_ID.test(uploadId)) throw new NoSuchUploadError();
    const dir = join(uploadsDir, uploadId);
    let meta: UploadMeta;
    try {
      meta = JSON.parse(await readFile(join(dir, UPLOAD_META), 'utf8')) as UploadMeta;
    } catch (error) {
      if (isNotFound(error)) throw new NoSuchUploadError({ cause: error });
      throw error;
    }
    if (meta.key !== key) throw new NoSuchUploadError(); // S3 answers NoSuchUpload for another key too
    return { dir, meta };
  };

  /** The latest ETag (hex) uploaded for a part number, or undefined. */
  const readPartPointer = async (uploadDir: string, partNumber: number): Promise<string | undefined> => {
    try {
      return await readFile(join(uploadDir, `${partFileName(partNumber)}.etag`), 'utf8');
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  };

  /**
   * Mirrors the bucket's lifecycle rule: uploads initiated more than a day ago are dropped. Run when an
   * upload is created (rare: one per bulk job), so a readdir + stat per open upload stays cheap.
   */
  const sweepAbandonedUploads = async (): Promise<void> => {
    let entries: string[];
    try {
      entries = await readdir(uploadsDir);
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
    const cutoff = now() - ABANDONED_UPLOAD_MS;
    await Promise.all(
      entries.map(async (entry) => {
        const dir = join(uploadsDir, entry);
        try {
          // upload.json is written once, at initiation (the folder's own time moves with every part).
          const started = await stat(join(dir, UPLOAD_META)).catch((error: unknown) =>
            isNotFound(error) ? stat(dir) : Promise.reject(error),
          );
          if (started.mtimeMs < cutoff) await rm(dir, { recursive: true, force: true });
        } catch (error) {
          if (!isNotFound(error)) throw error; // completed or aborted meanwhile
        }
      }),
    );
  };

  return {
    minPartBytes,

    async put(key, body, putOptions = {}) {
      const paths = pathsFor(key);
      await mkdir(tempDir, { recursive: true, mode: 0o700 });
      const temp = tempPath('');
      const source =
        typeof body === 'string' || body instanceof Uint8Array ? Readable.from([Buffer.from(body)]) : body;
      try {
        await pipeline(source, encryptingStream(await dataKey()), createWriteStream(temp, { mode: 0o600 }));
        await fsyncPath(temp);
        const meta: StoredMeta = {
          metadata: lowerCaseKeys(putOptions.metadata),
          // An opaque version tag, new on every write. Not a content MD5: S3's own ETag is none either
          // for multipart uploads, so no caller may rely on one, and hashing every byte of a
          // multi-GB bulk file costs more than the write itself.
          etag: `"${randomBytes(16).toString('hex')}"`,
          ...(putOptions.contentType ? { contentType: putOptions.contentType } : {}),
        };
        await mkdir(paths.dir, { recursive: true, mode: 0o700 });
        await placeReplacing(temp, paths.data);
        await writeFileAtomic(paths.meta, JSON.stringify(meta));
        return { key, etag: meta.etag };
      } catch (error) {
        await rm(temp, { force: true });
        throw error;
      }
    },

    async createMultipartUpload(key, uploadOptions = {}) {
      pathsFor(key); // refuses a key that could not be stored, before any part is sent
      await sweepAbandonedUploads();
      const uploadId = randomBytes(16).toString('hex');
      const dir = join(uploadsDir, uploadId);
      await mkdir(uploadsDir, { recursive: true, mode: 0o700 });
      await mkdir(dir, { mode: 0o700 });
      const meta: UploadMeta = {
        key,
        metadata: lowerCaseKeys(uploadOptions.metadata),
        ...(uploadOptions.contentType ? { contentType: uploadOptions.contentType } : {}),
      };
      await writeFileAtomic(join(dir, UPLOAD_META), JSON.stringify(meta));
      return { uploadId };
    },

    async uploadPart(key, uploadId, partNumber, body) {
      pathsFor(key);
      assertValidPartNumber(partNumber);
      const { dir } = await openUpload(key, uploadId);
      // Each upload of a part gets its own file `<number>.<etag>`; the pointer `<number>.etag` names
      // the latest. Pointers only ever move to fresh ETags, so the one replaced here is stale for good
      // and its file can go, even with two writers of the same number racing (the loser's file stays
      // until complete or abort removes the folder).
      const etag = randomBytes(16).toString('hex');
      const name = partFileName(partNumber);
      const dataTemp = join(dir, `.tmp-${randomBytes(8).toString('hex')}`);
      const pointerTemp = join(dir, `.tmp-${randomBytes(8).toString('hex')}`);
      try {
        // 'wx' without mkdir: an upload aborted meanwhile stays gone (ENOENT) instead of coming back.
        await writeFile(dataTemp, encryptBuffer(await dataKey(), body), { flag: 'wx', mode: 0o600 });
        await fsyncPath(dataTemp);
        await rename(dataTemp, join(dir, `${name}.${etag}`));
        const previous = await readPartPointer(dir, partNumber);
        await writeFile(pointerTemp, etag, { flag: 'wx', mode: 0o600 });
        await fsyncPath(pointerTemp);
        await rename(pointerTemp, join(dir, `${name}.etag`));
        await fsyncPath(dir);
        if (previous !== undefined) await rm(join(dir, `${name}.${previous}`), { force: true });
      } catch (error) {
        await rm(dataTemp, { force: true });
        await rm(pointerTemp, { force: true });
        if (isNotFound(error)) throw new NoSuchUploadError({ cause: error });
        throw error;
      }
      return { partNumber, etag: `"${etag}"` };
    },

    async completeMultipartUpload(key, uploadId, parts) {
      const paths = pathsFor(key);
      assertValidPartList(parts);
      const { dir, meta: upload } = await openUpload(key, uploadId);
      const chosen: { file: string; size: number }[] = [];
      for (const [index, part] of parts.entries()) {
        const latest = await readPartPointer(dir, part.partNumber);
        if (latest === undefined) throw new InvalidPartError(`part ${part.partNumber} was not uploaded`);
        if (unquote(part.etag) !== latest) {
          throw new InvalidPartError(`part ${part.partNumber} is not the latest upload of that number`);
        }
        const file = join(dir, `${partFileName(part.partNumber)}.${latest}`);
        let size: number;
        try {
          size = plainSize((await stat(file)).size);
        } catch (error) {
          if (isNotFound(error)) throw new InvalidPartError(`part ${part.partNumber} was replaced meanwhile`);
          throw error;
        }
        if (index < parts.length - 1 && size < minPartBytes) {
          throw new InvalidPartError(`part ${part.partNumber} is smaller than ${minPartBytes} bytes`);
        }
        chosen.push({ file, size });
      }

      // Hard links, not renames: the upload keeps its parts until the object is in place, so a
      // complete that crashes half way can simply be called again.
      await mkdir(tempDir, { recursive: true, mode: 0o700 });
      const segmented = tempPath('seg-');
      await mkdir(segmented, { mode: 0o700 });
      const meta: StoredMeta = {
        metadata: upload.metadata,
        // Shaped like S3's multipart ETag ("<hash>-<part count>"), still only an opaque version tag.
        etag: `"${randomBytes(16).toString('hex')}-${parts.length}"`,
        ...(upload.contentType ? { contentType: upload.contentType } : {}),
      };
      try {
        for (const [index, { file }] of chosen.entries()) {
          const target = join(segmented, segmentFileName(index));
          try {
            await link(file, target);
          } catch (error) {
            if (!NO_LINK_CODES.has(errorCode(error) as string)) throw error;
            await rename(file, target);
          }
        }
        const index: SegmentIndex = { sizes: chosen.map((part) => part.size) };
        await writeFile(join(segmented, SEGMENT_INDEX), JSON.stringify(index), { mode: 0o600 });
        await fsyncPath(join(segmented, SEGMENT_INDEX));
        await fsyncPath(segmented);
        await mkdir(paths.dir, { recursive: true, mode: 0o700 });
        await placeReplacing(segmented, paths.data);
      } catch (error) {
        await rm(segmented, { recursive: true, force: true });
        if (isNotFound(error)) {
          // A part file vanished under us: the upload was aborted, or a part rewritten, meanwhile.
          const stillThere = await stat(join(dir, UPLOAD_META)).then(
            () => true,
            () => false,
          );
          throw stillThere
            ? new InvalidPartError('a part was rewritten while completing', { cause: error })
            : new NoSuchUploadError({ cause: error });
        }
        throw error;
      }
      await writeFileAtomic(paths.meta, JSON.stringify(meta));
      // Drops the upload with its unused and stale parts; a second complete is now NoSuchUpload.
      await removeTree(dir);
      return { key, etag: meta.etag };
    },

    async listParts(key, uploadId) {
      pathsFor(key);
      const { dir } = await openUpload(key, uploadId);
      let entries: string[];
      try {
        entries = await readdir(dir);
      } catch (error) {
        if (isNotFound(error)) throw new NoSuchUploadError({ cause: error });
        throw error;
      }
      const parts: UploadedPart[] = [];
      for (const entry of entries.filter((name) => PART_POINTER.test(name)).sort()) {
        const partNumber = Number(entry.slice(0, -'.etag'.length));
        const latest = await readPartPointer(dir, partNumber);
        if (latest !== undefined) parts.push({ partNumber, etag: `"${latest}"` });
      }
      return parts;
    },

    async abortMultipartUpload(key, uploadId) {
      pathsFor(key);
      try {
        const { dir } = await openUpload(key, uploadId);
        await removeTree(dir);
      } catch (error) {
        if (error instanceof NoSuchUploadError) return; // idempotent, like S3 (see the port)
        throw error;
      }
    },

    async get(key, getOptions = {}) {
      const paths = pathsFor(key);
      const byteRange = (size: number) => {
        let start = 0;
        let end = size - 1;
        if (getOptions.range) {
          start = getOptions.range.start;
          end = Math.min(getOptions.range.end ?? end, end);
          if (start < 0 || start >= size || end < start)
            throw new RangeError('Requested range is not satisfiable');
        }
        return { start, end };
      };
      const getSegmented = async () => {
        const segmented = await readSegmented(paths.data);
        if (segmented === undefined) return undefined;
        const meta = await readMeta(paths.meta);
        const { start, end } = byteRange(segmented.size);
        const body =
          segmented.size === 0
            ? Readable.from([])
            : Readable.from(readSegments(await dataKey(), paths.data, segmented.sizes, start, end), {
                objectMode: false,
              });
        return {
          ...info(key, meta, segmented.size, segmented.mtime),
          body,
          contentLength: Math.max(0, end - start + 1),
        };
      };

      let handle: Awaited<ReturnType<typeof open>>;
      try {
        handle = await open(paths.data, 'r');
      } catch (error) {
        if (isNotFound(error)) return undefined;
        if (errorCode(error) === 'EISDIR') return getSegmented(); // Windows cannot open a directory
        throw error;
      }
      try {
        const stats = await handle.stat();
        if (stats.isDirectory()) {
          await handle.close();
          return getSegmented();
        }
        const meta = await readMeta(paths.meta);
        const size = plainSize(stats.size);
        const { start, end } = byteRange(size);
        await handle.close();
        const body =
          size === 0
            ? Readable.from([])
            : Readable.from(decryptRange(await dataKey(), paths.data, start, end), { objectMode: false });
        return {
          ...info(key, meta, size, stats.mtime),
          body,
          contentLength: Math.max(0, end - start + 1),
        };
      } catch (error) {
        await handle.close().catch(() => {}); // may already be closed (directory case)
        throw error;
      }
    },

    async head(key) {
      const paths = pathsFor(key);
      try {
        const stats = await stat(paths.data);
        if (stats.isDirectory()) {
          const segmented = await readSegmented(paths.data);
          if (segmented === undefined) return undefined;
          return info(key, await readMeta(paths.meta), segmented.size, segmented.mtime);
        }
        return info(key, await readMeta(paths.meta), plainSize(stats.size), stats.mtime);
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },

    async delete(key) {
      const paths = pathsFor(key);
      await removeTree(paths.data); // a segmented object disappears at once, not segment by segment
      await rm(paths.meta, { force: true });
      // Drop directories the object leaves empty, like S3 has no empty "folders".
      for (let dir = paths.dir; dir !== root && dir.startsWith(root); dir = dirname(dir)) {
        try {
          await rmdir(dir);
        } catch {
          break; // not empty (or gone)
        }
      }
    },

    async list(prefix, listOptions = {}) {
      const limit = Math.min(listOptions.limit ?? MAX_LIST_LIMIT, MAX_LIST_LIMIT);
      const after = listOptions.cursor === undefined ? undefined : decodeCursor(listOptions.cursor);
      const found: ListedBlob[] = [];
      const walk = async (dir: string, keyPrefix: string): Promise<void> => {
        let entries: string[];
        try {
          entries = await readdir(dir);
        } catch (error) {
          if (isNotFound(error)) return;
          throw error;
        }
        for (const entry of entries) {
          // Only d./f. entries are keys: `.tmp`, `.uploads` and m. files never show.
          const kind = entry.slice(0, 2);
          if (kind !== 'd.' && kind !== 'f.') continue;
          const key = keyPrefix + decodeURIComponent(entry.slice(2));
          if (kind === 'd.') {
            const sub = `${key}/`;
            if (sub.startsWith(prefix) || prefix.startsWith(sub)) await walk(join(dir, entry), sub);
          } else if (key.startsWith(prefix) && (after === undefined || compareUtf8(key, after) > 0)) {
            try {
              const stats = await stat(join(dir, entry));
              const segmented = stats.isDirectory() ? await readSegmented(join(dir, entry)) : undefined;
              if (stats.isDirectory() && segmented === undefined) continue; // deleted while listing
              found.push({
                key,
                size: segmented?.size ?? plainSize(stats.size),
                lastModified: segmented?.mtime ?? stats.mtime,
              });
            } catch (error) {
              if (!isNotFound(error)) throw error; // deleted while listing
            }
          }
        }
      };
      await walk(root, '');
      found.sort((a, b) => compareUtf8(a.key, b.key));
      const page: BlobPage = { items: found.slice(0, limit) };
      const last = page.items.at(-1);
      if (last && found.length > limit) page.cursor = Buffer.from(last.key).toString('base64url');
      return page;
    },

    async presignGetUrl(key, ttlSeconds) {
      assertValidBlobKey(key);
      return options.urls?.sign('GET', key, ttlSeconds);
    },
    async presignPutUrl(key, ttlSeconds, putOptions = {}) {
      assertValidBlobKey(key);
      return options.urls?.sign('PUT', key, ttlSeconds, putOptions.contentType);
    },
  };
}

/** The bytes `start..end` (inclusive) of a segmented object, segment after segment; empty ones skipped. */
async function* readSegments(
  key: Buffer,
  dir: string,
  sizes: readonly number[],
  start: number,
  end: number,
): AsyncGenerator<Buffer> {
  let offset = 0;
  for (const [index, size] of sizes.entries()) {
    const segmentStart = offset;
    offset += size;
    if (segmentStart > end) return;
    if (size === 0 || offset <= start) continue;
    yield* decryptRange(
      key,
      join(dir, segmentFileName(index)),
      Math.max(start, segmentStart) - segmentStart,
      Math.min(end, offset - 1) - segmentStart,
    );
  }
}

function decodeCursor(cursor: string): string {
  const key = Buffer.from(cursor, 'base64url').toString('utf8');
  if (key === '' || Buffer.from(key).toString('base64url') !== cursor) throw new InvalidCursorError();
  return key;
}
