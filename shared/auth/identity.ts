import { parseAuthorizationHeader } from './authorization-header';
import { type AuthKind, type IdentityDecision, UNAUTHORIZED_MESSAGE } from './authorizer-context';
import type { PlatformSecretsProvider } from './platform-secret-values';
import { hashElementToken, type TokenLookup } from './token-index';
import { matchUser } from './verify-platform-credentials';

export interface ResolveIdentityDependencies {
  secrets: PlatformSecretsProvider;
  lookupToken: TokenLookup;
}

const deny = (): IdentityDecision => ({ outcome: 'deny', status: 401, message: UNAUTHORIZED_MESSAGE });

/**
 * Decides who an `Authorization` header belongs to:
 * - platform: `User <s>, Organization <s>` both matching; an Element part, when present, must be a
 *   token of that user's instance (its id is then passed on, for "current instance" calls);
 * - hub: `User <s>, Element <t>` with an optional Organization part that must match when present;
 *   the token's instance must belong to that user.
 * Parts in any order, keywords in any case, whitespace tolerated (authorization-header.ts). Every
 * failure is the same 401 with CE's message: which part was wrong is never revealed. Secrets are
 * compared in constant time against every user (verify-platform-credentials.ts); nothing is logged.
 *
 * Disabled or invalid instances are NOT checked here: the functions load the instance anyway, and the
 * gateway caches this decision, so a disable must be enforced where it takes effect at once.
 * Throws only when the secrets cannot be read (a server fault, answered 500 by the caller).
 */
export const resolveIdentity = async (
  header: string | undefined,
  kind: AuthKind,
  dependencies: ResolveIdentityDependencies,
): Promise<IdentityDecision> => {
  const credentials = parseAuthorizationHeader(header);
  const secrets = await dependencies.secrets();
  // Runs the comparisons even for an unparseable header, so its timing matches a wrong secret's.
  const userId = matchUser(credentials, secrets, { requireOrganization: kind === 'platform' });
  if (!credentials || userId === undefined) return deny();

  if (credentials.element === undefined) {
    return kind === 'hub' ? deny() : { outcome: 'allow', kind, userId };
  }
  const entry = await dependencies.lookupToken(hashElementToken(credentials.element));
  // Another user's token is as unknown as a made-up one.
  if (!entry || entry.ownerUserId !== userId) return deny();
  return { outcome: 'allow', kind, userId, instanceId: entry.instanceId };
};
