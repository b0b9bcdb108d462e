import { randomBytes } from 'node:crypto';
import { link, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  assertValidPartList,
  assertValidPartNumber,
  InvalidPartError,
  NoSuchUploadError,
  type PutBlobOptions,
  type UploadedPart,
} from '../../ports';
import { fsyncPath, ifFound, isNotFound, writeFileAtomic } from './atomic-file';
import { encryptBuffer, plainSize } from './blob-crypto';
import {
  type BlobFiles,
  errorCode,
  newEtag,
  type ObjectPaths,
  SEGMENT_INDEX,
  type SegmentIndex,
  segmentFileName,
  storedOptions,
} from './blob-files';

/** `.uploads/<uploadId>/upload.json`: what createMultipartUpload was told. */
interface UploadMeta {
  key: string;
  contentType?: string;
  metadata: Record<string, string>;
}

/** An upload's folder and what it was created with. */
interface OpenUpload {
  dir: string;
  meta: UploadMeta;
}

/** A part chosen for the object: its file in the upload folder and its plain size. */
interface ChosenPart {
  file: string;
  size: number;
}

const UPLOAD_ID = /^[0-9a-f]{32}$/;
const UPLOAD_META = 'upload.json';
/** `00002.etag`: holds the ETag (hex) of the latest upload of part 2, whose bytes are `00002.<etag>`. */
const PART_POINTER = /^\d{5}\.etag$/;
/** The bucket's lifecycle rule aborts incomplete multipart uploads after 1 day (infra); so does this. */
const ABANDONED_UPLOAD_MS = 24 * 60 * 60 * 1000;
/** link() failures of file systems without hard links: fall back to moving the part file. */
const NO_LINK_CODES = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EMLINK']);

const partFileName = (partNumber: number) => String(partNumber).padStart(5, '0');
const unquote = (etag: string) => etag.replaceAll('"', '');

/**
 * The local blob store's multipart uploads, staged in `.uploads/<uploadId>/`. Each upload of a part gets
 * its own file `<number>.<etag>`; the pointer `<number>.etag` names the latest. Completing does not copy a
 * byte: the chosen part files are hard-linked, in order, into a segmented object (see BlobFiles). Keys are
 * checked by the store before it calls in here.
 */
export class LocalMultipartUploads {
  readonly #files: BlobFiles;
  readonly #minPartBytes: number;
  readonly #now: () => number;

  constructor(files: BlobFiles, minPartBytes: number, now: () => number) {
    this.#files = files;
    this.#minPartBytes = minPartBytes;
    this.#now = now;
  }

  async create(key: string, options: PutBlobOptions): Promise<{ uploadId: string }> {
    await this.#sweepAbandoned();
    const uploadId = randomBytes(16).toString('hex');
    const dir = join(this.#files.uploadsDir, uploadId);
    await mkdir(this.#files.uploadsDir, { recursive: true, mode: 0o700 });
    await mkdir(dir, { mode: 0o700 });
    const meta: UploadMeta = { key, ...storedOptions(options) };
    await writeFileAtomic(join(dir, UPLOAD_META), JSON.stringify(meta));
    return { uploadId };
  }

  async uploadPart(
    key: string,
    uploadId: string,
    partNumber: number,
    body: Uint8Array,
  ): Promise<UploadedPart> {
    assertValidPartNumber(partNumber);
    const { dir } = await this.#open(key, uploadId);
    // Pointers only ever move to fresh ETags, so the one replaced here is stale for good and its file
    // can go, even with two writers of the same number racing (the loser's file stays until complete
    // or abort removes the folder).
    const etag = randomBytes(16).toString('hex');
    const name = partFileName(partNumber);
    try {
      await placeNewFile(dir, `${name}.${etag}`, encryptBuffer(await this.#files.dataKey(), body));
      const previous = await this.#latestEtag(dir, partNumber);
      await placeNewFile(dir, `${name}.etag`, etag);
      await fsyncPath(dir);
      if (previous !== undefined) await rm(join(dir, `${name}.${previous}`), { force: true });
    } catch (error) {
      if (isNotFound(error)) throw new NoSuchUploadError({ cause: error });
      throw error;
    }
    return { partNumber, etag: `"${etag}"` };
  }

  /** Builds the segmented object in `.tmp/`, renames it over `paths.data`, writes its meta, drops the upload. */
  async complete(
    key: string,
    uploadId: string,
    parts: readonly UploadedPart[],
    paths: ObjectPaths,
  ): Promise<{ key: string; etag: string }> {
    assertValidPartList(parts);
    const upload = await this.#open(key, uploadId);
    const chosen = await this.#choose(upload.dir, parts);
    // Shaped like S3's multipart ETag ("<hash>-<part count>"), still only an opaque version tag.
    const meta = { ...storedOptions(upload.meta), etag: newEtag(parts.length) };
    const segmented = await this.#files.tempPath('seg-');
    try {
      await this.#linkSegments(segmented, chosen);
      await mkdir(paths.dir, { recursive: true, mode: 0o700 });
      await this.#files.placeReplacing(segmented, paths.data);
    } catch (error) {
      await rm(segmented, { recursive: true, force: true });
      throw isNotFound(error) ? await this.#vanishedPartError(upload.dir, error) : error;
    }
    await this.#files.writeMeta(paths.meta, meta);
    // Drops the upload with its unused and stale parts; a second complete is now NoSuchUpload.
    await this.#files.removeTree(upload.dir);
    return { key, etag: meta.etag };
  }

  async listParts(key: string, uploadId: string): Promise<UploadedPart[]> {
    const { dir } = await this.#open(key, uploadId);
    const entries = await ifFound(readdir(dir));
    if (entries === undefined) throw new NoSuchUploadError();
    const parts: UploadedPart[] = [];
    for (const entry of entries.filter((name) => PART_POINTER.test(name)).sort()) {
      const partNumber = Number(entry.slice(0, -'.etag'.length));
      const latest = await this.#latestEtag(dir, partNumber);
      if (latest !== undefined) parts.push({ partNumber, etag: `"${latest}"` });
    }
    return parts;
  }

  async abort(key: string, uploadId: string): Promise<void> {
    try {
      const { dir } = await this.#open(key, uploadId);
      await this.#files.removeTree(dir);
    } catch (error) {
      if (error instanceof NoSuchUploadError) return; // idempotent, like S3 (see the port)
      throw error;
    }
  }

  /** The upload's folder and meta; NoSuchUploadError for a malformed, unknown or other key's id. */
  async #open(key: string, uploadId: string): Promise<OpenUpload> {
    // The id becomes a path: only our own 32-hex ids are accepted, so none can leave `.uploads/`.
    if (typeof uploadId !== 'string' || !UPLOAD_ID.test(uploadId)) throw new NoSuchUploadError();
    const dir = join(this.#files.uploadsDir, uploadId);
    let text: string;
    try {
      text = await readFile(join(dir, UPLOAD_META), 'utf8');
    } catch (error) {
      if (isNotFound(error)) throw new NoSuchUploadError({ cause: error });
      throw error;
    }
    const meta = JSON.parse(text) as UploadMeta;
    if (meta.key !== key) throw new NoSuchUploadError(); // S3 answers NoSuchUpload for another key too
    return { dir, meta };
  }

  /** The latest ETag (hex) uploaded for a part number, or undefined. */
  #latestEtag(dir: string, partNumber: number): Promise<string | undefined> {
    return ifFound(readFile(join(dir, `${partFileName(partNumber)}.etag`), 'utf8'));
  }

  /** The part files `parts` name, checked as S3 checks them: uploaded, latest, large enough. */
  async #choose(dir: string, parts: readonly UploadedPart[]): Promise<ChosenPart[]> {
    const chosen: ChosenPart[] = [];
    for (const [index, part] of parts.entries()) {
      const latest = await this.#latestEtag(dir, part.partNumber);
      if (latest === undefined) throw new InvalidPartError(`part ${part.partNumber} was not uploaded`);
      if (unquote(part.etag) !== latest) {
        throw new InvalidPartError(`part ${part.partNumber} is not the latest upload of that number`);
      }
      const file = join(dir, `${partFileName(part.partNumber)}.${latest}`);
      const stats = await ifFound(stat(file));
      if (stats === undefined) throw new InvalidPartError(`part ${part.partNumber} was replaced meanwhile`);
      const size = plainSize(stats.size);
      if (index < parts.length - 1 && size < this.#minPartBytes) {
        throw new InvalidPartError(`part ${part.partNumber} is smaller than ${this.#minPartBytes} bytes`);
      }
      chosen.push({ file, size });
    }
    return chosen;
  }

  /**
   * Hard links, not renames: the upload keeps its parts until the object is in place, so a complete that
   * crashes half way can simply be called again.
   */
  async #linkSegments(segmented: string, chosen: readonly ChosenPart[]): Promise<void> {
    await mkdir(segmented, { mode: 0o700 });
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
  }

  /** A part file vanished while completing: the upload was aborted, or a part rewritten, meanwhile. */
  async #vanishedPartError(dir: string, cause: unknown): Promise<Error> {
    const stillThere = (await ifFound(stat(join(dir, UPLOAD_META)))) !== undefined;
    return stillThere
      ? new InvalidPartError('a part was rewritten while completing', { cause })
      : new NoSuchUploadError({ cause });
  }

  /**
   * Mirrors the bucket's lifecycle rule: uploads initiated more than a day ago are dropped. Run when an
   * upload is created (rare: one per bulk job), so a readdir + stat per open upload stays cheap.
   */
  async #sweepAbandoned(): Promise<void> {
    const entries = await ifFound(readdir(this.#files.uploadsDir));
    if (entries === undefined) return;
    const cutoff = this.#now() - ABANDONED_UPLOAD_MS;
    await Promise.all(
      entries.map(async (entry) => {
        const dir = join(this.#files.uploadsDir, entry);
        // upload.json is written once, at initiation (the folder's own time moves with every part).
        const started = (await ifFound(stat(join(dir, UPLOAD_META)))) ?? (await ifFound(stat(dir)));
        // Gone meanwhile: completed or aborted.
        if (started !== undefined && started.mtimeMs < cutoff)
          await rm(dir, { recursive: true, force: true });
      }),
    );
  }
}

/**
 * Writes `data` to a temp file in the upload folder, fsyncs it and renames it to `name`, so `name` is
 * never half written. 'wx' without mkdir: an upload aborted meanwhile stays gone (ENOENT) instead of
 * coming back.
 */
async function placeNewFile(dir: string, name: string, data: string | Uint8Array): Promise<void> {
  const temp = join(dir, `.tmp-${randomBytes(8).toString('hex')}`);
  try {
    await writeFile(temp, data, { flag: 'wx', mode: 0o600 });
    await fsyncPath(temp);
    await rename(temp, join(dir, name));
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
