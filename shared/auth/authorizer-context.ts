/**
 * The decision the API Gateway authorizer hands to the functions, and its wire form.
 *
 * The authorizer ALWAYS answers `isAuthorized: true` and puts its decision in the simple-response
 * `context` (string values only). Why: an HTTP API cannot customise the response of a denial (no
 * gateway responses), but CE clients expect a 401 with our JSON error body and an Elements-Request-Id
 * header. So the authorizer decides and the function's first middleware renders a denial before any
 * handler code runs (functions/middleware/identity.ts).
 */

/** Which credentials a route needs. */
export type AuthKind = 'platform' | 'hub';

/** Who is calling: the user whose secret matched, and for hub calls the instance of the element token. */
export interface Identity {
  userId: string;
  instanceId?: number;
}

export type IdentityDecision =
  | ({ outcome: 'allow'; kind: AuthKind } & Identity)
  | { outcome: 'deny'; status: 401 | 403; message: string };

/** CE's wording for every authentication failure, whatever part was wrong. */
export const UNAUTHORIZED_MESSAGE =
  'Unauthorized - An invalid element token, user secret and/or org secret provided';

/** The simple-response context: what `event.requestContext.authorizer.lambda` holds in the function. */
export type AuthorizerContext =
  | { outcome: 'allow'; kind: AuthKind; userId: string; instanceId?: string }
  | { outcome: 'deny'; status: '401' | '403'; message: string };

export const toAuthorizerContext = (decision: IdentityDecision): AuthorizerContext =>
  decision.outcome === 'allow'
    ? {
        outcome: 'allow',
        kind: decision.kind,
        userId: decision.userId,
        ...(decision.instanceId === undefined ? {} : { instanceId: String(decision.instanceId) }),
      }
    : { outcome: 'deny', status: decision.status === 403 ? '403' : '401', message: decision.message };

const USER_ID = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * Reads a context back. Anything malformed (missing, a value of the wrong type, an unknown outcome)
 * is `undefined`: the caller answers 401, never "allow by default".
 */
export const fromAuthorizerContext = (value: unknown): IdentityDecision | undefined => {
  if (typeof value !== 'object' || value === null) return undefined;
  const context = value as Record<string, unknown>;
  if (context.outcome === 'deny') {
    const status = String(context.status) === '403' ? 403 : 401;
    const message =
      typeof context.message === 'string' && context.message ? context.message : UNAUTHORIZED_MESSAGE;
    return { outcome: 'deny', status, message };
  }
  if (context.outcome !== 'allow') return undefined;
  const { kind, userId, instanceId } = context;
  if (kind !== 'platform' && kind !== 'hub') return undefined;
  if (typeof userId !== 'string' || !USER_ID.test(userId)) return undefined;
  if (instanceId === undefined || instanceId === null || instanceId === '') {
    return kind === 'hub' ? undefined : { outcome: 'allow', kind, userId };
  }
  const id = Number(instanceId);
  if (!Number.isSafeInteger(id) || id < 1) return undefined;
  return { outcome: 'allow', kind, userId, instanceId: id };
};
