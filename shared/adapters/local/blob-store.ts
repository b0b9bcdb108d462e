import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  assertValidBlobKey,
  type BlobInfo,
  type BlobPage,
  type BlobStore,
  InvalidCursorError,
  InvalidNameError,
  type ListedBlob,
  MAX_LIST_LIMIT,
} from '../../ports';
import { isNotFound, writeFileAtomic } from './atomic-file';
import type { LocalBlobUrls } from './blob-urls';
import { compareUtf8 } from './state-table';

/**
 * Blobs under `<dataDir>/blobs/`. S3 lets `a` and `a/b` both be objects, which a plain file tree
 * cannot, so each key segment is percent-encoded and prefixed: directories are `d.<seg>`, object
 * data `f.<seg>` and its metadata `m.<seg>` (JSON). Writes stream to `.tmp/` and are renamed into
 * place, so a reader never sees a partial object. Presigned URLs come from `urls` (served by the local
 * server, functions/local/blob-route.ts); without it they are undefined.
 */
export interface LocalBlobStoreOptions {
  dataDir: string;
  /**
   * Presigned URLs served by the local server (local mode). Without them presignGetUrl/presignPutUrl
   * answer undefined and callers take files through the API.
   */
  urls?: LocalBlobUrls;
}

interface StoredMeta {
  contentType?: string;
  metadata: Record<string, string>;
  etag: string;
}

const encodeSegment = (segment: string) => {
  const encoded = encodeURIComponent(segment);
  if (encoded.length > 240)
    throw new InvalidNameError('blob key', 'a path segment is too long for local storage');
  return encoded;
};

export function createLocalBlobStore(options: LocalBlobStoreOptions): BlobStore {
  const root = join(options.dataDir, 'blobs');
  const tempDir = join(root, '.tmp');

  const pathsFor = (key: string) => {
    assertValidBlobKey(key);
    const segments = key.split('/').map(encodeSegment);
    const last = segments.pop() ?? '';
    const dir = join(root, ...segments.map((s) => `d.${s}`));
    return { dir, data: join(dir, `f.${last}`), meta: join(dir, `m.${last}`) };
  };

  const readMeta = async (path: string): Promise<StoredMeta> => {
    try {
      return JSON.parse(await readFile(path, 'utf8')) as StoredMeta;
    } catch (error) {
      if (isNotFound(error)) return { metadata: {}, etag: '""' };
      throw error;
    }
  };

  const info = (key: string, meta: StoredMeta, size: number, mtime: Date): BlobInfo => ({
    key,
    size,
    metadata: meta.metadata,
    lastModified: mtime,
    etag: meta.etag,
    ...(meta.contentType ? { contentType: meta.contentType } : {}),
  });

  return {
    async put(key, body, putOptions = {}) {
      const paths = pathsFor(key);
      await mkdir(tempDir, { recursive: true, mode: 0o700 });
      const temp = join(tempDir, randomBytes(8).toString('hex'));
      const source =
        typeof body === 'string' || body instanceof Uint8Array ? Readable.from([Buffer.from(body)]) : body;
      try {
        await pipeline(source, createWriteStream(temp, { mode: 0o600 }));
        const meta: StoredMeta = {
          // S3 lower-cases user metadata keys; do the same so code behaves alike in both modes.
          metadata: Object.fromEntries(
            Object.entries(putOptions.metadata ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
          ),
          // An opaque version tag, new on every write. Not a content MD5: S3's own ETag is none either
          // for multipart uploads, so no caller may rely on one, and hashing every byte of a
          // multi-GB bulk file costs more than the write itself.
          etag: `"${randomBytes(16).toString('hex')}"`,
          ...(putOptions.contentType ? { contentType: putOptions.contentType } : {}),
        };
        await mkdir(paths.dir, { recursive: true, mode: 0o700 });
        await rename(temp, paths.data);
        await writeFileAtomic(paths.meta, JSON.stringify(meta));
        return { key, etag: meta.etag };
      } catch (error) {
        await rm(temp, { force: true });
        throw error;
      }
    },

    async get(key, getOptions = {}) {
      const paths = pathsFor(key);
      let handle: Awaited<ReturnType<typeof open>>;
      try {
        handle = await open(paths.data, 'r');
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
      try {
        const stats = await handle.stat();
        const meta = await readMeta(paths.meta);
        let start = 0;
        let end = stats.size - 1;
        if (getOptions.range) {
          start = getOptions.range.start;
          end = Math.min(getOptions.range.end ?? end, end);
          if (start < 0 || start >= stats.size || end < start)
            throw new RangeError('Requested range is not satisfiable');
        }
        const body =
          stats.size === 0 ? Readable.from([]) : handle.createReadStream({ start, end, autoClose: true });
        if (stats.size === 0) await handle.close();
        return {
          ...info(key, meta, stats.size, stats.mtime),
          body,
          contentLength: Math.max(0, end - start + 1),
        };
      } catch (error) {
        await handle.close();
        throw error;
      }
    },

    async head(key) {
      const paths = pathsFor(key);
      try {
        const stats = await stat(paths.data);
        return info(key, await readMeta(paths.meta), stats.size, stats.mtime);
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },

    async delete(key) {
      const paths = pathsFor(key);
      await rm(paths.data, { force: true });
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
          const kind = entry.slice(0, 2);
          if (kind !== 'd.' && kind !== 'f.') continue;
          const key = keyPrefix + decodeURIComponent(entry.slice(2));
          if (kind === 'd.') {
            const sub = `${key}/`;
            if (sub.startsWith(prefix) || prefix.startsWith(sub)) await walk(join(dir, entry), sub);
          } else if (key.startsWith(prefix) && (after === undefined || compareUtf8(key, after) > 0)) {
            try {
              const stats = await stat(join(dir, entry));
              found.push({ key, size: stats.size, lastModified: stats.mtime });
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

function decodeCursor(cursor: string): string {
  const key = Buffer.from(cursor, 'base64url').toString('utf8');
  if (key === '' || Buffer.from(key).toString('base64url') !== cursor) throw new InvalidCursorError();
  return key;
}
