import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  type PlatformSecrets,
  type PlatformSecretsProvider,
  PlatformSecretsUnavailableError,
  platformSecretsFrom,
} from './platform-secret-values';

export interface SecretsManagerPlatformSecretsOptions {
  organizationSecretArn: string;
  userSecretArn: string;
  client?: Pick<SecretsManagerClient, 'send'>;
  /** How long a fetched pair is reused; a rotated secret is picked up after at most this long. */
  cacheMs?: number;
  now?: () => number;
}

const DEFAULT_CACHE_MS = 5 * 60_000;

/**
 * Platform secrets from Secrets Manager, each stored as a plain SecretString (the user secret in the
 * `ELEMENT_USER_SECRET` format of users.ts: one secret or `userId:secret,...`). Cached per container
 * so a warm Lambda does not call Secrets Manager on every request; concurrent callers share one fetch.
 */
export const secretsManagerPlatformSecrets = (
  options: SecretsManagerPlatformSecretsOptions,
): PlatformSecretsProvider => {
  const client = options.client ?? new SecretsManagerClient({});
  const cacheMs = options.cacheMs ?? DEFAULT_CACHE_MS;
  const now = options.now ?? Date.now;
  let cached: { value: Promise<PlatformSecrets>; expiresAt: number } | undefined;

  const read = async (secretId: string): Promise<string> => {
    const result = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (!result.SecretString) {
      throw new PlatformSecretsUnavailableError(`Secret ${secretId} has no string value`);
    }
    return result.SecretString;
  };

  return () => {
    if (cached && cached.expiresAt > now()) return cached.value;
    const value = Promise.all([read(options.organizationSecretArn), read(options.userSecretArn)]).then(
      ([organization, user]) => platformSecretsFrom(organization, user),
    );
    const entry = { value, expiresAt: now() + cacheMs };
    cached = entry;
    // A failed fetch must not be cached: the next request tries again.
    value.catch(() => {
      if (cached === entry) cached = undefined;
    });
    return value;
  };
};
