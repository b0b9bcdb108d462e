import type { AuthorizationCredentials } from './authorization-header';
import { secretsEqual } from './authorization-header';
import type { PlatformSecrets } from './platform-secrets';

/**
 * True when the header carries the right User and Organization secrets. Both comparisons always run
 * (no short-circuit), so the response time does not tell which one was wrong.
 */
export const verifyPlatformCredentials = (
  credentials: AuthorizationCredentials | undefined,
  secrets: PlatformSecrets,
): boolean => {
  const userOk = secretsEqual(credentials?.user, secrets.user);
  const organizationOk = secretsEqual(credentials?.organization, secrets.organization);
  return userOk && organizationOk;
};
