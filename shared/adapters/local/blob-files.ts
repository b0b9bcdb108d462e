import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { assertValidBlobKey, type BlobInfo, InvalidNameError, type PutBlobOptions } from '../../ports';
import { ifFound, isNotFound, writeFileAtomic } from './atomic-file';
import { decryptRange, plainSize } from './blob-crypto';
import { loadOrCreateDataKey } from './secret-store';

/** `m.<seg>`: what the object was stored with. */
export interface StoredMeta {
  contentType?: string;
  metadata: Record<string, string>;
  etag: string;
}

/** `f.<seg>/index.json` of a segmented object: the byte size of each segment file, in order. */
export interface SegmentIndex {
  sizes: number[];
}

/** Where a key's files are: the directory holding them, the data (file or segmented directory), the meta. */
export interface ObjectPaths {
  dir: string;
  data: string;
  meta: string;
}

/** Size and time of what stands at a data path; `segments` (their sizes) for a segmented object. */
export interface StoredObject {
  size: number;
  mtime: Date;
  segments?: number[];
}

export const SEGMENT_INDEX = 'index.json';
export const segmentFileName = (index: number) => String(index + 1).padStart(6, '0');
export const errorCode = (error: unknown): unknown => (error as { code?: unknown } | null)?.code;

/** rename() failures meaning "the target is a file where a directory goes, or the reverse". */
const REPLACE_CODES = new Set(['EISDIR', 'ENOTDIR', 'ENOTEMPTY', 'EEXIST', 'EPERM']);

/** An opaque version tag, new on every write (`-<parts>` for a multipart object, shaped like S3's). */
export const newEtag = (parts?: number) =>
  `"${randomBytes(16).toString('hex')}${parts === undefined ? '' : `-${parts}`}"`;

/** What an object or upload keeps of the put options. S3 lower-cases user metadata keys; so does this. */
export const storedOptions = (options: PutBlobOptions): Omit<StoredMeta, 'etag'> => ({
  metadata: Object.fromEntries(Object.entries(options.metadata ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
  ...(options.contentType ? { contentType: options.contentType } : {}),
});

export const blobInfo = (key: string, meta: StoredMeta, object: StoredObject): BlobInfo => ({
  key,
  size: object.size,
  metadata: meta.metadata,
  lastModified: object.mtime,
  etag: meta.etag,
  ...(meta.contentType ? { contentType: meta.contentType } : {}),
});

const encodeSegment = (segment: string) => {
  const encoded = encodeURIComponent(segment);
  if (encoded.length > 240) {
    throw new InvalidNameError('blob key', 'a path segment is too long for local storage');
  }
  return encoded;
};

/**
 * The file tree of the local blob store under `<dataDir>/blobs/` and the moves that keep it consistent:
 * paths of a key, temp files, replacing and removing whole objects at once, reading what an object is.
 * The layout itself is described on LocalBlobStore.
 */
export class BlobFiles {
  readonly root: string;
  readonly uploadsDir: string;
  readonly #tempDir: string;
  readonly #dataDir: string;
  #dataKey: Promise<Buffer> | undefined;

  constructor(dataDir: string) {
    this.#dataDir = dataDir;
    this.root = join(dataDir, 'blobs');
    this.#tempDir = join(this.root, '.tmp');
    this.uploadsDir = join(this.root, '.uploads');
  }

  /** The data directory's encryption key, loaded once (again after a failed load). */
  dataKey(): Promise<Buffer> {
    this.#dataKey ??= loadOrCreateDataKey(this.#dataDir);
    const loading = this.#dataKey;
    loading.catch(() => {
      this.#dataKey = undefined;
    });
    return loading;
  }

  /** The files of `key`; refuses (InvalidNameError) a key that is invalid or too long for local storage. */
  pathsFor(key: string): ObjectPaths {
    assertValidBlobKey(key);
    const segments = key.split('/').map(encodeSegment);
    const last = segments.pop() ?? '';
    const dir = join(this.root, ...segments.map((s) => `d.${s}`));
    return { dir, data: join(dir, `f.${last}`), meta: join(dir, `m.${last}`) };
  }

  /** A fresh path in `.tmp/` (created if missing), on the same file system as every object. */
  async tempPath(prefix: string): Promise<string> {
    await mkdir(this.#tempDir, { recursive: true, mode: 0o700 });
    return join(this.#tempDir, `${prefix}${randomBytes(8).toString('hex')}`);
  }

  async readMeta(path: string): Promise<StoredMeta> {
    const text = await ifFound(readFile(path, 'utf8'));
    return text === undefined ? { metadata: {}, etag: '""' } : (JSON.parse(text) as StoredMeta);
  }

  writeMeta(path: string, meta: StoredMeta): Promise<void> {
    return writeFileAtomic(path, JSON.stringify(meta));
  }

  /** What stands at `dataPath` (a file or a segmented object), or undefined when nothing (any more). */
  async statObject(dataPath: string): Promise<StoredObject | undefined> {
    const stats = await ifFound(stat(dataPath));
    if (stats === undefined) return undefined;
    if (stats.isDirectory()) return this.#readSegmented(dataPath);
    return { size: plainSize(stats.size), mtime: stats.mtime };
  }

  /**
   * Moves `source` (a file or a segmented directory) to `target`, replacing whatever is there. A rename
   * replaces a file by a file atomically but cannot put a file over a directory or the reverse; then
   * the old object is first moved aside into `.tmp/` (readers briefly see no object) and removed after.
   */
  async placeReplacing(source: string, target: string): Promise<void> {
    const aside: string[] = [];
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          await rename(source, target);
          return;
        } catch (error) {
          if (attempt >= 3 || !REPLACE_CODES.has(errorCode(error) as string)) throw error;
        }
        const old = await this.tempPath('old-');
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
  }

  /** Removes a file or directory tree so that it disappears at once (rename), then deletes it. */
  async removeTree(path: string): Promise<void> {
    const old = await this.tempPath('old-');
    try {
      await rename(path, old);
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
    await rm(old, { recursive: true, force: true });
  }

  /** Size and time of a segmented object, or undefined when it vanished meanwhile. */
  async #readSegmented(dataPath: string): Promise<StoredObject | undefined> {
    const path = join(dataPath, SEGMENT_INDEX);
    // The index is written when the object is completed: its time is the object's lastModified. Read
    // through one handle so time and sizes belong to the same index.
    const found = await ifFound(readFileWithTime(path));
    if (found === undefined) return undefined;
    const { sizes } = JSON.parse(found.text) as SegmentIndex;
    return { size: sizes.reduce((sum, n) => sum + n, 0), mtime: found.mtime, segments: sizes };
  }
}

async function readFileWithTime(path: string): Promise<{ text: string; mtime: Date }> {
  const handle = await open(path, 'r');
  try {
    const { mtime } = await handle.stat();
    return { text: await handle.readFile('utf8'), mtime };
  } finally {
    await handle.close();
  }
}

/** The plain bytes `start..end` (inclusive) of the object at `dataPath`, as statObject described it. */
export async function* readObjectRange(
  key: Buffer,
  dataPath: string,
  object: StoredObject,
  start: number,
  end: number,
): AsyncGenerator<Buffer> {
  if (object.segments === undefined) {
    yield* decryptRange(key, dataPath, start, end);
    return;
  }
  let offset = 0;
  for (const [index, size] of object.segments.entries()) {
    const segmentStart = offset;
    offset += size;
    if (segmentStart > end) return;
    if (size === 0 || offset <= start) continue; // empty segments and those before the range
    yield* decryptRange(
      key,
      join(dataPath, segmentFileName(index)),
      Math.max(start, segmentStart) - segmentStart,
      Math.min(end, offset - 1) - segmentStart,
    );
  }
}
