import { randomBytes } from 'node:crypto';
import type { SecretStore } from '../../shared/ports';

/** Names under which local mode keeps its generated secrets (encrypted, see shared/adapters/local). */
export const PLATFORM_SECRET_NAMES = {
  organization: 'platform/organization-secret',
  user: 'platform/user-secret',
} as const;

export interface ResolvedPlatformSecret {
  value: string;
  /** `environment`: given by the user; `generated`: created now; `stored`: created by an earlier start. */
  source: 'environment' | 'generated' | 'stored';
}

export interface ResolvedPlatformSecrets {
  organization: ResolvedPlatformSecret;
  user: ResolvedPlatformSecret;
}

/** 32 random bytes as hex: safe inside an Authorization header and easy to copy from a terminal. */
export const generateSecret = (): string => randomBytes(32).toString('hex');

const resolveOne = async (
  store: SecretStore,
  name: string,
  fromEnvironment: string | undefined,
  generate: () => string,
): Promise<ResolvedPlatformSecret> => {
  if (fromEnvironment) return { value: fromEnvironment, source: 'environment' };
  const stored = await store.get(name);
  if (stored) return { value: stored, source: 'stored' };
  const value = generate();
  await store.put(name, value);
  return { value, source: 'generated' };
};

/**
 * The organization and user secrets for local mode: from the environment when set, otherwise
 * generated once and kept in the data dir so they survive restarts (the user's curl commands keep working).
 */
export const resolvePlatformSecrets = async (input: {
  store: SecretStore;
  organizationSecret: string | undefined;
  userSecret: string | undefined;
  generate?: () => string;
}): Promise<ResolvedPlatformSecrets> => {
  const generate = input.generate ?? generateSecret;
  return {
    organization: await resolveOne(
      input.store,
      PLATFORM_SECRET_NAMES.organization,
      input.organizationSecret,
      generate,
    ),
    user: await resolveOne(input.store, PLATFORM_SECRET_NAMES.user, input.userSecret, generate),
  };
};
