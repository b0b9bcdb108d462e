import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * Local blob files at rest: AES-256-GCM in independent chunks, so a file streams in and out in bounded
 * memory and a byte range decrypts only the chunks it touches. Layout: `SEB1` + an 8-byte random nonce
 * prefix, then per 64 KiB of plaintext the ciphertext and its 16-byte tag (the last chunk shorter; an
 * empty file is one empty chunk). A chunk's nonce is the prefix plus its index; its additional data is
 * the index and whether it is the last one, so chunks cannot be reordered, dropped or cut off unseen.
 * The plaintext size follows from the file size, so listing needs no read.
 */
export const CHUNK_BYTES = 64 * 1024;
const TAG_BYTES = 16;
const MAGIC = Buffer.from('SEB1');
const PREFIX_BYTES = 8;
export const HEADER_BYTES = MAGIC.length + PREFIX_BYTES;

export class BlobDecryptionError extends Error {
  constructor(options?: { cause?: unknown }) {
    super('A stored blob could not be decrypted (wrong key or tampered file)', options);
    this.name = 'BlobDecryptionError';
  }
}

const nonce = (prefix: Buffer, index: number) => {
  const iv = Buffer.alloc(12);
  prefix.copy(iv, 0);
  iv.writeUInt32BE(index, PREFIX_BYTES);
  return iv;
};
const aad = (index: number, last: boolean) => {
  const data = Buffer.alloc(5);
  data.writeUInt32BE(index, 0);
  data[4] = last ? 1 : 0;
  return data;
};

const seal = (key: Buffer, prefix: Buffer, index: number, last: boolean, plain: Buffer): Buffer => {
  const cipher = createCipheriv('aes-256-gcm', key, nonce(prefix, index));
  cipher.setAAD(aad(index, last));
  return Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
};

const unseal = (key: Buffer, prefix: Buffer, index: number, last: boolean, sealed: Buffer): Buffer => {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce(prefix, index), { authTagLength: TAG_BYTES });
    decipher.setAAD(aad(index, last));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)), decipher.final()]);
  } catch (cause) {
    throw new BlobDecryptionError({ cause });
  }
};

/** Plaintext bytes of a stored file of `storedBytes`. */
export const plainSize = (storedBytes: number): number => {
  const body = storedBytes - HEADER_BYTES;
  if (body < TAG_BYTES) throw new BlobDecryptionError();
  const full = Math.floor(body / (CHUNK_BYTES + TAG_BYTES));
  const rest = body - full * (CHUNK_BYTES + TAG_BYTES);
  if (rest === 0) return full * CHUNK_BYTES;
  if (rest < TAG_BYTES) throw new BlobDecryptionError();
  return full * CHUNK_BYTES + rest - TAG_BYTES;
};

/** Encrypts a stream as it passes (one chunk held back until it is known whether it is the last). */
export const encryptingStream = (key: Buffer): Transform => {
  const prefix = randomBytes(PREFIX_BYTES);
  let pending = Buffer.alloc(0);
  let index = 0;
  let started = false;
  const header = (push: (chunk: Buffer) => void) => {
    if (!started) push(Buffer.concat([MAGIC, prefix]));
    started = true;
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      header((c) => this.push(c));
      pending = pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([pending, chunk]);
      // Keep at least one byte back: the last chunk is sealed as last in flush.
      while (pending.length > CHUNK_BYTES) {
        this.push(seal(key, prefix, index++, false, pending.subarray(0, CHUNK_BYTES)));
        pending = pending.subarray(CHUNK_BYTES);
      }
      callback();
    },
    flush(callback: TransformCallback) {
      header((c) => this.push(c));
      this.push(seal(key, prefix, index, true, pending));
      callback();
    },
  });
};

/** A whole buffer, encrypted (multipart parts arrive whole). */
export const encryptBuffer = (key: Buffer, plain: Uint8Array): Buffer => {
  const prefix = randomBytes(PREFIX_BYTES);
  const data = Buffer.from(plain.buffer, plain.byteOffset, plain.byteLength);
  const chunks = Math.max(1, Math.ceil(data.length / CHUNK_BYTES));
  const out: Buffer[] = [MAGIC, prefix];
  for (let index = 0; index < chunks; index++) {
    out.push(
      seal(
        key,
        prefix,
        index,
        index === chunks - 1,
        data.subarray(index * CHUNK_BYTES, (index + 1) * CHUNK_BYTES),
      ),
    );
  }
  return Buffer.concat(out);
};

/** Plaintext bytes `start..end` (inclusive) of the stored file at `path`, chunk by chunk. */
export async function* decryptRange(
  key: Buffer,
  path: string,
  start: number,
  end: number,
): AsyncGenerator<Buffer> {
  const handle = await open(path, 'r');
  try {
    const size = plainSize((await handle.stat()).size);
    const header = Buffer.alloc(HEADER_BYTES);
    await handle.read(header, 0, HEADER_BYTES, 0);
    if (!header.subarray(0, MAGIC.length).equals(MAGIC)) throw new BlobDecryptionError();
    const prefix = Buffer.from(header.subarray(MAGIC.length));
    const lastIndex = size === 0 ? 0 : Math.ceil(size / CHUNK_BYTES) - 1;
    const to = Math.min(end, size - 1);
    for (
      let index = Math.floor(start / CHUNK_BYTES);
      index <= lastIndex && index * CHUNK_BYTES <= to;
      index++
    ) {
      const plainLength = Math.min(CHUNK_BYTES, size - index * CHUNK_BYTES);
      const sealed = Buffer.alloc(plainLength + TAG_BYTES);
      const { bytesRead } = await handle.read(
        sealed,
        0,
        sealed.length,
        HEADER_BYTES + index * (CHUNK_BYTES + TAG_BYTES),
      );
      if (bytesRead !== sealed.length) throw new BlobDecryptionError();
      const plain = unseal(key, prefix, index, index === lastIndex, sealed);
      const from = Math.max(start - index * CHUNK_BYTES, 0);
      const until = Math.min(to - index * CHUNK_BYTES + 1, plain.length);
      if (until > from) yield plain.subarray(from, until);
    }
  } finally {
    await handle.close();
  }
}
