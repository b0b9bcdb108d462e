/**
 * The bytes of one multipart part while a chunk builds it. Text is encoded straight into one growing
 * Buffer (no Buffer per page, no concatenation at the end), and the Buffer is handed to the next chunk
 * of the same process instead of being garbage: a warm worker reuses one allocation of a part's size
 * for the whole job, which keeps the heap flat however many rows a download has.
 */
export class PartBuffer {
  private buffer: Buffer;
  private used = 0;

  constructor(capacity: number) {
    this.buffer = Buffer.allocUnsafe(capacity);
  }

  get length(): number {
    return this.used;
  }

  /** Appends `text` as UTF-8. */
  write(text: string): void {
    // A UTF-16 code unit never takes more than 3 UTF-8 bytes, so this bound needs no byteLength pass.
    this.reserve(text.length * 3);
    this.used += this.buffer.write(text, this.used);
  }

  append(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buffer.set(bytes, this.used);
    this.used += bytes.length;
  }

  /** The bytes written so far (a view, valid until the next write or release). */
  bytes(): Buffer {
    return this.buffer.subarray(0, this.used);
  }

  private reserve(extra: number): void {
    const needed = this.used + extra;
    if (needed <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(needed, this.buffer.length * 2));
    this.buffer.copy(grown, 0, 0, this.used);
    this.buffer = grown;
  }

  clear(): void {
    this.used = 0;
  }

  get capacity(): number {
    return this.buffer.length;
  }
}

/**
 * Spare buffers per process: a chunk fills one part while the previous one uploads, and bulk workers
 * run one chunk at a time (SQS batch size 1), so two cover the steady state.
 */
const spares: PartBuffer[] = [];
const MAX_SPARES = 2;

export function acquirePartBuffer(capacity: number): PartBuffer {
  const index = spares.findIndex((spare) => spare.capacity >= capacity);
  const buffer = index === -1 ? new PartBuffer(capacity) : (spares.splice(index, 1)[0] as PartBuffer);
  buffer.clear();
  return buffer;
}

export function releasePartBuffer(buffer: PartBuffer): void {
  buffer.clear();
  if (spares.length < MAX_SPARES) spares.push(buffer);
}
