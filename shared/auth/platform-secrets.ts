import { type ElementUser, parseUserSecrets, UserSecretConfigError } from './users';

/**
 * The secrets platform and hub calls are checked against: the organization secret
 * and every configured user (shared/auth/users.ts).
 */
export interface PlatformSecrets {
  organization: string;
  users: ElementUser[];
}

/**
 * Where the platform secrets come from: environment variables locally, Secrets Manager in AWS.
 * A function so callers need not care about caching or where the value lives.
 */
export type PlatformSecretsProvider = () => Promise<PlatformSecrets>;

export class PlatformSecretsUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PlatformSecretsUnavailableError';
  }
}

/** Builds the pair from the two raw values; a malformed user list is reported without any value. */
export const platformSecretsFrom = (
  organization: string | undefined,
  userSecret: string | undefined,
): PlatformSecrets => {
  const organizationSecret = organization?.trim();
  if (!organizationSecret || !userSecret?.trim()) {
    throw new PlatformSecretsUnavailableError(
      'ELEMENT_ORGANIZATION_SECRET and ELEMENT_USER_SECRET must both be set',
    );
  }
  try {
    return { organization: organizationSecret, users: parseUserSecrets(userSecret) };
  } catch (error) {
    if (error instanceof UserSecretConfigError) {
      throw new PlatformSecretsUnavailableError(error.message, { cause: error });
    }
    throw error;
  }
};

/** Reads `ELEMENT_ORGANIZATION_SECRET` / `ELEMENT_USER_SECRET` from `env` on every call (local mode, tests). */
export const environmentPlatformSecrets =
  (env: NodeJS.ProcessEnv = process.env): PlatformSecretsProvider =>
  async () =>
    platformSecretsFrom(env.ELEMENT_ORGANIZATION_SECRET, env.ELEMENT_USER_SECRET);

/**
 * The provider a deployed function or local mode uses, chosen from the environment: Secrets Manager
 * when the ARNs are set (the stack sets them), otherwise the plain variables. The AWS implementation is
 * imported on first use so functions that never authenticate do not load the SDK.
 */
export const defaultPlatformSecrets = (env: NodeJS.ProcessEnv = process.env): PlatformSecretsProvider => {
  let provider: Promise<PlatformSecretsProvider> | undefined;
  return async () => {
    provider ??= (async () => {
      const organizationSecretArn = env.ELEMENT_ORGANIZATION_SECRET_ARN;
      const userSecretArn = env.ELEMENT_USER_SECRET_ARN;
      if (organizationSecretArn && userSecretArn) {
        const { secretsManagerPlatformSecrets } = await import('./secrets-manager-platform-secrets');
        return secretsManagerPlatformSecrets({ organizationSecretArn, userSecretArn });
      }
      return environmentPlatformSecrets(env);
    })();
    return (await provider)();
  };
};
