import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsSecretStore } from '../../shared/adapters/aws';
import { createLocalSecretStore, SecretDecryptionError } from '../../shared/adapters/local';
import { describeSecretStoreContract } from './contracts/secret-store.contract';
import { emulatorClientConfig } from './emulators';
import { type FakeSecretsManager, startFakeSecretsManager } from './fakes/secrets-manager';
import { makeTempDir } from './temp-dir';

let fake: FakeSecretsManager;
let client: SecretsManagerClient;
beforeAll(async () => {
  fake = await startFakeSecretsManager();
  client = new SecretsManagerClient(emulatorClientConfig(fake.endpoint));
});
afterAll(async () => {
  client.destroy();
  await fake.close();
});

let prefixes = 0;
describeSecretStoreContract('Secrets Manager adapter on an in-repo wire fake', async () => ({
  store: createAwsSecretStore({ client, namePrefix: `snow-element/test${++prefixes}/` }),
  close: async () => {},
}));

describeSecretStoreContract('local encrypted files', async () => {
  const temp = await makeTempDir('secrets');
  return { store: createLocalSecretStore({ dataDir: temp.dir }), close: temp.cleanup };
});

describe('Secrets Manager adapter', () => {
  it('creates secrets under the prefix with tags and the KMS key, then overwrites in place', async () => {
    const store = createAwsSecretStore({
      client,
      namePrefix: 'stack-a/',
      kmsKeyId: 'alias/element',
      tags: { stage: 'test' },
    });
    await store.put('org', 'v1');
    await store.put('org', 'v2');
    const secret = fake.secrets.get('stack-a/org');
    expect(secret).toMatchObject({ value: 'v2', kmsKeyId: 'alias/element' });
    expect(secret?.tags).toEqual([
      { Key: 'app', Value: 'snow-element' },
      { Key: 'stage', Value: 'test' },
    ]);
  });

  it('restores a secret that another tool deleted with a recovery window', async () => {
    const store = createAwsSecretStore({ client, namePrefix: 'stack-b/' });
    await store.put('user', 'v1');
    const secret = fake.secrets.get('stack-b/user');
    if (secret) secret.deletedDate = Date.now() / 1000;
    expect(await store.get('user')).toBeUndefined();
    await store.put('user', 'v2');
    expect(await store.get('user')).toBe('v2');
  });
});

describe('local secret store at rest', () => {
  it('never writes the plaintext, keeps the key private and reads back after re-opening', async () => {
    const temp = await makeTempDir('secrets-at-rest');
    try {
      const value = 'hunter2-super-secret-value';
      await createLocalSecretStore({ dataDir: temp.dir }).put('instances/7/password', value);

      const files = await readdir(join(temp.dir, 'secrets'));
      expect(files).toHaveLength(1);
      expect(files[0]).not.toContain('instances');
      const stored = await readFile(join(temp.dir, 'secrets', files[0] ?? ''));
      expect(stored.includes(Buffer.from(value))).toBe(false);
      expect(stored.includes(Buffer.from(value, 'utf16le'))).toBe(false);

      expect((await stat(join(temp.dir, 'secret.key'))).mode & 0o777).toBe(0o600);
      expect((await stat(join(temp.dir, 'secrets', files[0] ?? ''))).mode & 0o777).toBe(0o600);
      expect((await stat(join(temp.dir, 'secrets'))).mode & 0o777).toBe(0o700);

      expect(await createLocalSecretStore({ dataDir: temp.dir }).get('instances/7/password')).toBe(value);
    } finally {
      await temp.cleanup();
    }
  });

  it('agrees on one key when two stores start on an empty data dir at once', async () => {
    const temp = await makeTempDir('secrets-race');
    try {
      const [a, b] = [
        createLocalSecretStore({ dataDir: temp.dir }),
        createLocalSecretStore({ dataDir: temp.dir }),
      ];
      await Promise.all([a.put('from-a', 'A'), b.put('from-b', 'B')]);
      expect(await b.get('from-a')).toBe('A');
      expect(await a.get('from-b')).toBe('B');
      expect((await readdir(temp.dir)).sort()).toEqual(['secret.key', 'secrets']);
    } finally {
      await temp.cleanup();
    }
  });

  it('uses a fresh IV per write, so equal values do not produce equal files', async () => {
    const temp = await makeTempDir('secrets-iv');
    try {
      const store = createLocalSecretStore({ dataDir: temp.dir });
      await store.put('a', 'same');
      await store.put('b', 'same');
      const [fa, fb] = await readdir(join(temp.dir, 'secrets'));
      const [ca, cb] = await Promise.all([
        readFile(join(temp.dir, 'secrets', fa ?? '')),
        readFile(join(temp.dir, 'secrets', fb ?? '')),
      ]);
      expect(ca.subarray(1, 13).equals(cb.subarray(1, 13))).toBe(false);
    } finally {
      await temp.cleanup();
    }
  });

  it('detects a flipped byte, a swapped file and a different key', async () => {
    const temp = await makeTempDir('secrets-tamper');
    try {
      const store = createLocalSecretStore({ dataDir: temp.dir });
      await store.put('victim', 'value-a');
      const [file] = await readdir(join(temp.dir, 'secrets'));
      const path = join(temp.dir, 'secrets', file ?? '');
      const original = await readFile(path);

      const flipped = Buffer.from(original);
      flipped[flipped.length - 1] = (flipped[flipped.length - 1] ?? 0) ^ 0x01;
      await writeFile(path, flipped);
      await expect(store.get('victim')).rejects.toBeInstanceOf(SecretDecryptionError);

      // A file copied from another secret's path authenticates the name too, so it does not decrypt.
      await store.put('other', 'value-b');
      const otherFile = (await readdir(join(temp.dir, 'secrets'))).find((f) => f !== file) ?? '';
      await writeFile(path, await readFile(join(temp.dir, 'secrets', otherFile)));
      await expect(store.get('victim')).rejects.toBeInstanceOf(SecretDecryptionError);

      await writeFile(path, original);
      expect(await store.get('victim')).toBe('value-a');
      await writeFile(join(temp.dir, 'secret.key'), Buffer.alloc(32, 7));
      await expect(createLocalSecretStore({ dataDir: temp.dir }).get('victim')).rejects.toBeInstanceOf(
        SecretDecryptionError,
      );
    } finally {
      await temp.cleanup();
    }
  });
});
