import type { AuthorizationCredentials } from './authorization-header';
import { secretsEqual } from './authorization-header';
import type { PlatformSecrets } from './platform-secret-values';

/**
 * The user whose secret the header carries, or undefined. Compares the provided secret with EVERY
 * configured user's secret (no early exit) and the organization secret (always, even when no user
 * matched), so the response time does not tell which part was wrong or how far down the list a user is.
 * `requireOrganization` false: the Organization part may be absent (hub calls), but if present must match.
 */
export const matchUser = (
  credentials: AuthorizationCredentials | undefined,
  secrets: PlatformSecrets,
  options: { requireOrganization: boolean },
): string | undefined => {
  let matched: string | undefined;
  for (const user of secrets.users) {
    // Deliberately no break: every comparison runs.
    if (secretsEqual(credentials?.user, user.secret) && matched === undefined) matched = user.userId;
  }
  const organizationOk = secretsEqual(credentials?.organization, secrets.organization);
  const organizationAccepted =
    organizationOk || (!options.requireOrganization && credentials?.organization === undefined);
  return organizationAccepted ? matched : undefined;
};

/** True when the header carries a configured User secret and the Organization secret. */
export const verifyPlatformCredentials = (
  credentials: AuthorizationCredentials | undefined,
  secrets: PlatformSecrets,
): boolean => matchUser(credentials, secrets, { requireOrganization: true }) !== undefined;
