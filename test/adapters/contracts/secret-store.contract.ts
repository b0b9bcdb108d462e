import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidNameError, type SecretStore } from '../../../shared/ports';

export interface SecretStoreHarness {
  store: SecretStore;
  close(): Promise<void>;
}

export function describeSecretStoreContract(name: string, factory: () => Promise<SecretStoreHarness>): void {
  describe(`SecretStore contract: ${name}`, () => {
    let harness: SecretStoreHarness;
    let store: SecretStore;
    beforeEach(async () => {
      harness = await factory();
      store = harness.store;
    });
    afterEach(async () => {
      await harness.close();
    });

    it('returns undefined for a secret that was never stored', async () => {
      expect(await store.get('instances/1/credentials')).toBeUndefined();
    });

    it('creates, reads and overwrites a secret', async () => {
      const value = JSON.stringify({ username: 'admin', password: 'pässwörd 🔑', note: 'x'.repeat(5000) });
      await store.put('instances/1/credentials', value);
      expect(await store.get('instances/1/credentials')).toBe(value);
      await store.put('instances/1/credentials', 'second');
      expect(await store.get('instances/1/credentials')).toBe('second');
    });

    it('keeps secrets with different names apart', async () => {
      await Promise.all([
        store.put('org/secret', 'org'),
        store.put('user/secret', 'user'),
        store.put('a.b@c', 'abc'),
      ]);
      expect(await store.get('org/secret')).toBe('org');
      expect(await store.get('user/secret')).toBe('user');
      expect(await store.get('a.b@c')).toBe('abc');
    });

    it('deletes idempotently and can store the name again afterwards', async () => {
      await store.delete('never/existed');
      await store.put('tokens/t1', 'one');
      await store.delete('tokens/t1');
      expect(await store.get('tokens/t1')).toBeUndefined();
      await store.delete('tokens/t1');
      await store.put('tokens/t1', 'again');
      expect(await store.get('tokens/t1')).toBe('again');
    });

    it('refuses names that could escape their namespace', async () => {
      for (const bad of [
        '',
        '../secret.key',
        'a/../../b',
        '/abs',
        'a//b',
        'a/./b',
        'sp ace',
        'back\\slash',
      ]) {
        await expect(store.get(bad)).rejects.toBeInstanceOf(InvalidNameError);
        await expect(store.put(bad, 'x')).rejects.toBeInstanceOf(InvalidNameError);
        await expect(store.delete(bad)).rejects.toBeInstanceOf(InvalidNameError);
      }
    });
  });
}
