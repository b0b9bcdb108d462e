import { PayloadTooLargeError } from '../../errors';
import { METRICS, recordMetric } from '../../metrics';
import { type BlobStore, MAX_MULTIPART_PARTS } from '../../ports';
import { acquirePartBuffer, type PartBuffer, releasePartBuffer } from './part-buffer';

/**
 * The least size of part `partNumber`. S3 allows 10,000 parts per upload, so parts grow in steps late in
 * a job: 5,000 x 5 MiB + 4,000 x 20 MiB + 1,000 x 80 MiB lets one file reach about 180 GiB.
 */
export const partTargetBytes = (minPartBytes: number, partNumber: number): number =>
  minPartBytes * (partNumber <= 5000 ? 1 : partNumber <= 9000 ? 4 : 16);

export interface PartWriterOptions {
  blobStore: BlobStore;
  /** The result file. */
  key: string;
  contentType: string;
  /** Parts the committed chunks uploaded; this writer's first part is `nextPart + 1`. */
  nextPart: number;
  /** The result file's multipart upload, when a committed chunk started it. */
  uploadId: string | undefined;
  /** This stream's part numbers are `partBase + 1 .. partBase + partLimit` of the upload. */
  partBase: number;
  partLimit: number;
  /**
   * A stream that does not close the file keeps its last part back (see DownloadStream): S3 refuses a
   * part under the least size unless it is the file's last, and the stream cannot yet know its last.
   */
  holdBack: boolean;
}

/**
 * The bytes of one chunk on their way into the result file's multipart upload: the part being filled,
 * the part numbers used, the upload (started by the first part), and at most one part upload in flight
 * while the next part fills, so at most two parts sit in memory.
 */
export class PartWriter {
  private filling: PartBuffer;
  private partsUploaded: number;
  private multipartUploadId: string | undefined;
  private uploading: Promise<void> | undefined;
  /** Buffers to give back at the end; a part's buffer goes back as soon as its upload settles. */
  private readonly held = new Set<PartBuffer>();

  constructor(private readonly options: PartWriterOptions) {
    this.partsUploaded = options.nextPart;
    this.multipartUploadId = options.uploadId;
    this.filling = this.newBuffer();
  }

  /** The part being filled (rows are written straight into it). */
  get buffer(): PartBuffer {
    return this.filling;
  }

  get length(): number {
    return this.filling.length;
  }

  /** Parts uploaded so far, by the committed chunks and this one. */
  get nextPart(): number {
    return this.partsUploaded;
  }

  get uploadId(): string | undefined {
    return this.multipartUploadId;
  }

  /** The least size of the next part. */
  target(): number {
    return this.targetOf(this.partsUploaded + 1);
  }

  /** Whether a chunk whose part holds `bytes` may end there: a stream holding back may end at any page. */
  isBoundary(bytes: number): boolean {
    return this.options.holdBack || bytes >= this.target();
  }

  /** Whether a full part can upload mid-chunk (a stream holding back keeps one part's worth besides). */
  isFull(): boolean {
    const target = this.target();
    return this.filling.length >= target + (this.options.holdBack ? target : 0);
  }

  /** Whether the bytes left must wait in a carry object rather than upload as this chunk's last part. */
  mustCarry(): boolean {
    return this.options.holdBack || this.filling.length < this.target();
  }

  /**
   * Uploads the full part while the next one fills (after the upload before it settled). A stream that
   * holds back keeps its last `target` bytes for the part after (they may be the stream's end).
   */
  async uploadFull(): Promise<void> {
    const keep = this.options.holdBack ? this.target() : 0;
    await this.uploading;
    this.partsUploaded += 1;
    const full = this.filling;
    this.filling = this.newBuffer();
    this.filling.append(full.bytes().subarray(full.length - keep));
    this.uploading = this.uploadPart(
      full.bytes().subarray(0, full.length - keep),
      this.partsUploaded,
    ).finally(() => {
      this.held.delete(full);
      releasePartBuffer(full);
    });
    // Awaited by the next step; this only keeps a failure that lands meanwhile from being unhandled.
    this.uploading.catch(() => {});
  }

  /** Waits for the part upload in flight; rejects if it failed. */
  async settle(): Promise<void> {
    await this.uploading;
  }

  /** Uploads what is left as the chunk's last part. */
  async uploadRest(): Promise<void> {
    if (this.filling.length === 0) return;
    this.partsUploaded += 1;
    await this.uploadPart(this.filling.bytes(), this.partsUploaded);
  }

  /** Writes the whole file in one put, without a multipart upload (it fits the chunk). */
  async putWhole(): Promise<void> {
    const { blobStore, key, contentType } = this.options;
    await blobStore.put(key, this.filling.bytes(), { contentType });
    recordMetric(METRICS.bulkBytesDownloaded, this.filling.bytes().length);
  }

  /** Puts what is left in the carry object `key` for the next chunk; the bytes carried (none: no object). */
  async carry(key: string): Promise<number> {
    if (this.filling.length > 0) await this.options.blobStore.put(key, this.filling.bytes());
    return this.filling.length;
  }

  /** Aborts the multipart upload if this writer started it (no committed chunk refers to it). */
  async abortOwnUpload(): Promise<void> {
    await this.uploading?.catch(() => {});
    if (this.multipartUploadId !== undefined && this.options.uploadId === undefined) {
      await this.options.blobStore.abortMultipartUpload(this.options.key, this.multipartUploadId);
    }
  }

  /** Gives the buffers back, once no upload reads them (a failed chunk may leave one running). */
  async release(): Promise<void> {
    await this.uploading?.catch(() => {});
    for (const part of this.held) releasePartBuffer(part);
  }

  // Part sizes grow with the share of the stream's part numbers used (see partTargetBytes).
  private targetOf(partNumber: number): number {
    const { blobStore, partLimit } = this.options;
    return partTargetBytes(blobStore.minPartBytes, Math.ceil((partNumber * MAX_MULTIPART_PARTS) / partLimit));
  }

  private newBuffer(): PartBuffer {
    const buffer = acquirePartBuffer(
      Math.ceil(this.targetOf(this.partsUploaded + 1) * (this.options.holdBack ? 2.25 : 1.25)),
    );
    this.held.add(buffer);
    return buffer;
  }

  /** Uploads `bytes` as this stream's part `partNumber` (starting the multipart upload first if needed). */
  private async uploadPart(bytes: Uint8Array, partNumber: number): Promise<void> {
    const { blobStore, key, contentType, partBase, partLimit } = this.options;
    if (partNumber > partLimit) {
      throw new PayloadTooLargeError(
        'The bulk result exceeds the largest file S3 can assemble; narrow the query or use fewer partitions',
      );
    }
    this.multipartUploadId ??= (await blobStore.createMultipartUpload(key, { contentType })).uploadId;
    await blobStore.uploadPart(key, this.multipartUploadId, partBase + partNumber, bytes);
    recordMetric(METRICS.bulkBytesDownloaded, bytes.length);
  }
}
