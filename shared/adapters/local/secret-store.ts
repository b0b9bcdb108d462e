import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmod, link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertValidSecretName, type SecretStore } from '../../ports';
import { isNotFound, removeOrphanTemps, writeFileAtomic } from './atomic-file';

/**
 * Secrets at rest in local mode: one file per secret under `<dataDir>/secrets/`, AES-256-GCM with a
 * random 12-byte IV per write. The file name is a hash of the secret name (no traversal, no leaking
 * names into `ls`); the secret name is bound as additional authenticated data so a file copied onto
 * another name's path fails to decrypt. The 32-byte key lives in `<dataDir>/secret.key` (mode 0600).
 */
export interface LocalSecretStoreOptions {
  dataDir: string;
}

const FORMAT_VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretDecryptionError extends Error {
  constructor(options?: { cause?: unknown }) {
    // Never includes the secret name or any plaintext.
    super('A stored secret could not be decrypted (wrong key or tampered file)', options);
    this.name = 'SecretDecryptionError';
  }
}

export function createLocalSecretStore(options: LocalSecretStoreOptions): SecretStore {
  const secretsDir = join(options.dataDir, 'secrets');
  const keyPath = join(options.dataDir, 'secret.key');
  removeOrphanTemps(secretsDir, { wholeDirectory: true });
  let keyPromise: Promise<Buffer> | undefined;
  const key = () => {
    keyPromise ??= loadOrCreateKey(options.dataDir, keyPath);
    // A failed load is retried on the next call rather than cached forever.
    keyPromise.catch(() => {
      keyPromise = undefined;
    });
    return keyPromise;
  };
  const fileFor = (name: string) =>
    join(secretsDir, `${createHash('sha256').update(name).digest('hex')}.secret`);

  return {
    async get(name) {
      assertValidSecretName(name);
      let data: Buffer;
      try {
        data = await readFile(fileFor(name));
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
      return decrypt(await key(), name, data);
    },
    async put(name, value) {
      assertValidSecretName(name);
      const data = encrypt(await key(), name, value);
      await mkdir(secretsDir, { recursive: true, mode: 0o700 });
      await writeFileAtomic(fileFor(name), data, 0o600);
    },
    async delete(name) {
      assertValidSecretName(name);
      await rm(fileFor(name), { force: true });
    },
  };
}

/** The data directory's 32-byte key (`<dataDir>/secret.key`), created on first use. */
export const loadOrCreateDataKey = (dataDir: string): Promise<Buffer> =>
  loadOrCreateKey(dataDir, join(dataDir, 'secret.key'));

async function loadOrCreateKey(dataDir: string, keyPath: string): Promise<Buffer> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  try {
    return await readKey(keyPath);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  // Write the key to a private temp file, then link() it into place: link fails if the key already
  // exists, so two processes racing on first start agree on one key and never see a half-written file.
  const fresh = randomBytes(32);
  const temp = `${keyPath}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temp, fresh, { mode: 0o600, flag: 'wx' });
  try {
    await chmod(temp, 0o600); // the umask may have changed the create mode
    await link(temp, keyPath);
    return fresh;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'EEXIST') return readKey(keyPath);
    throw error;
  } finally {
    await rm(temp, { force: true });
  }
}

async function readKey(keyPath: string): Promise<Buffer> {
  const key = await readFile(keyPath);
  if (key.length !== 32) throw new Error('The local secret key file must hold exactly 32 bytes');
  return key;
}

// Layout: [version 1 byte][iv 12][tag 16][ciphertext]
function encrypt(key: Buffer, name: string, value: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(name));
  const ciphertext = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.from([FORMAT_VERSION]), iv, cipher.getAuthTag(), ciphertext]);
}

function decrypt(key: Buffer, name: string, data: Buffer): string {
  if (data.length < 1 + IV_BYTES + TAG_BYTES || data[0] !== FORMAT_VERSION) {
    throw new SecretDecryptionError();
  }
  try {
    const iv = data.subarray(1, 1 + IV_BYTES);
    const tag = data.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(name));
    decipher.setAuthTag(tag);
    return Buffer.concat([
      decipher.update(data.subarray(1 + IV_BYTES + TAG_BYTES)),
      decipher.final(),
    ]).toString('utf8');
  } catch (cause) {
    throw new SecretDecryptionError({ cause });
  }
}
