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
