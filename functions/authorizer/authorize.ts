/**
 * The API Gateway Lambda REQUEST authorizer (HTTP API, payload 2.0, simple responses) for every route
 * with auth 'platform' or 'hub'. It ALWAYS answers `isAuthorized: true` and carries its decision in the
 * context (shared/auth/authorizer-context.ts explains why); the function's identity middleware renders
 * a deny as our JSON 401/403. Local mode runs this same code before protected routes.
 *
 * The Authorization header is a credential: it is never logged, not even in part.
 */
import type {
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
} from 'aws-lambda';
import {
  type AuthKind,
  type AuthorizerContext,
  defaultPlatformSecrets,
  type IdentityDecision,
  type PlatformSecretsProvider,
  resolveIdentity,
  stateTableTokenLookup,
  type TokenLookup,
  toAuthorizerContext,
  UNAUTHORIZED_MESSAGE,
} from '../../shared/auth';
import { createLogger, type Logger } from '../../shared/logging';
import { API_BASE_PATH, ROUTES, type RouteAuth } from '../routes';

/**
 * The state table of this function's ports (state-table.ts), loaded with the first call that carries an
 * Element token: platform calls never read the table, and the ports' environment schema, adapter and
 * DynamoDB client load together on that first lookup.
 */
const stateTable = async () => (await import('./state-table')).authorizerStateTable();

export type AuthorizerResult = APIGatewaySimpleAuthorizerWithContextResult<AuthorizerContext>;
export type AuthorizerHandler = (event: APIGatewayRequestAuthorizerEventV2) => Promise<AuthorizerResult>;

export interface AuthorizerOptions {
  /** Routes whose auth decides the kind of credentials; defaults to ROUTES (local tests add their own). */
  routes?: readonly { method: string; path: string; auth?: RouteAuth }[];
  secrets?: PlatformSecretsProvider;
  /** Defaults to the state table of getDependencies() (state-table.ts) through the process-wide token cache. */
  lookupToken?: TokenLookup;
  logger?: Logger;
}

/** The header value: API Gateway lower-cases header names; the identity source holds the same value. */
export const authorizationOf = (event: APIGatewayRequestAuthorizerEventV2): string | undefined =>
  event.headers?.authorization ?? event.identitySource?.[0];

export const createAuthorizerHandler = (options: AuthorizerOptions = {}): AuthorizerHandler => {
  const kinds = new Map<string, AuthKind>();
  for (const route of options.routes ?? ROUTES) {
    if (route.auth === 'platform' || route.auth === 'hub') {
      kinds.set(`${route.method} ${API_BASE_PATH}${route.path}`, route.auth);
    }
  }
  const secrets = options.secrets ?? defaultPlatformSecrets();
  const logger = options.logger ?? createLogger();
  // getDependencies() is memoized; asking per lookup picks up setDependencies() (local mode, tests) and
  // keeps calls without an Element part from opening the state table at all.
  const lookupToken: TokenLookup =
    options.lookupToken ?? (async (tokenHash) => stateTableTokenLookup(await stateTable())(tokenHash));

  return async (event) => {
    const kind = kinds.get(event.routeKey);
    let decision: IdentityDecision;
    if (!kind) {
      // Attached to a route the table does not protect: refuse rather than guess the kind.
      decision = { outcome: 'deny', status: 401, message: UNAUTHORIZED_MESSAGE };
    } else {
      try {
        decision = await resolveIdentity(authorizationOf(event), kind, { secrets, lookupToken });
      } catch (error) {
        // Secrets or table unreadable: a server fault. Throwing makes API Gateway answer 500 and not
        // cache anything; the error never holds the header.
        logger.error('authorizer failed', { requestId: event.requestContext?.requestId, error });
        throw error;
      }
    }
    // Facts only: never the header, never a secret or token.
    logger.info('authorization decided', {
      requestId: event.requestContext?.requestId,
      routeKey: event.routeKey,
      outcome: decision.outcome,
      ...(decision.outcome === 'allow'
        ? { kind: decision.kind, userId: decision.userId, instanceId: decision.instanceId }
        : { status: decision.status }),
    });
    return { isAuthorized: true, context: toAuthorizerContext(decision) };
  };
};
