import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { findElement } from '../elements';
import { badRequest, isElementError } from '../errors';
import { ConditionFailedError } from '../ports/errors';
import type { SecretStore } from '../ports/secret-store';
import { epochSeconds, type StateItem } from '../ports/state-table';
import { authorizationUrl } from '../servicenow';
import { checkedBaseUrl } from './base-url';
import type { InstanceService } from './instance-service';
import { createInstanceStore } from './instance-store';
import type { InstanceView } from './instance-view';
import type { InstanceDeps } from './types';

/**
 * The OAuth "connect" flow of the console: the browser is sent to ServiceNow's authorize page with a
 * signed `state`, and our hosted callback completes the instance with the code. What the callback needs
 * (the instance body, client secret included) waits server-side in a pending record and the secret
 * store, never in a URL; the state only names the record and proves we issued it.
 */

/** How long a started connection can be completed. */
export const CONNECT_TTL_MS = 10 * 60_000;
/** The HMAC key of `state`: its own random secret, never a platform secret. */
export const STATE_KEY_SECRET = 'console/oauth-state-key';
/** Pending instance bodies (client secrets included), one secret per started connection. */
export const PENDING_SECRET_PREFIX = 'console/oauth-pending/';
/** Partition of the pending records in the state table. */
export const PENDING_PARTITION = 'console-oauth';
/**
 * DynamoDB deletes a pending record this long after it stopped being usable; until then the next start
 * or callback removes it together with its secret (the record says which secret to delete).
 */
const PENDING_RETENTION_SECONDS = 24 * 60 * 60;
/** Expired pending records removed per start or callback. */
const SWEEP_LIMIT = 25;

const STATE_VERSION = 'v1';
const NONCE = /^[A-Za-z0-9_-]{43}$/;

export type ConnectFailure =
  | 'access_denied'
  | 'provider_error'
  | 'invalid_state'
  | 'expired'
  | 'already_used'
  | 'missing_code'
  | 'rejected';

/** A callback that cannot complete; `message` is safe to show (no secret, no provider-controlled text). */
export class ConnectError extends Error {
  constructor(
    readonly reason: ConnectFailure,
    message: string,
  ) {
    super(message);
    this.name = 'ConnectError';
  }
}

export interface ConnectStarted {
  /** ServiceNow's authorize page, with our callback as redirect_uri and the signed state. */
  authorizeUrl: string;
  state: string;
  /** ISO time after which the callback refuses this state. */
  expiresAt: string;
  /** The redirect URI to register on the ServiceNow OAuth application. */
  callbackUrl: string;
}

export interface ConnectDeps extends InstanceDeps {
  instances: InstanceService;
}

const pendingKey = (nonce: string) => ({ pk: PENDING_PARTITION, sk: `pending#${nonce}` });
const pendingSecretName = (nonce: string) => `${PENDING_SECRET_PREFIX}${nonce}`;

const signingKeys = new WeakMap<SecretStore, Promise<Buffer>>();

const readSigningKey = async (secrets: SecretStore): Promise<Buffer | undefined> => {
  const stored = await secrets.get(STATE_KEY_SECRET);
  return stored ? Buffer.from(stored, 'base64url') : undefined;
};

/** The state-signing key, created on first use; concurrent creators converge on the stored value. */
const signingKey = (secrets: SecretStore): Promise<Buffer> => {
  let key = signingKeys.get(secrets);
  if (!key) {
    key = (async () => {
      let stored = await secrets.get(STATE_KEY_SECRET);
      if (stored === undefined) {
        await secrets.put(STATE_KEY_SECRET, randomBytes(32).toString('base64url'));
        stored = await secrets.get(STATE_KEY_SECRET);
      }
      if (!stored) throw new Error('The OAuth state signing key could not be stored');
      return Buffer.from(stored, 'base64url');
    })();
    key.catch(() => signingKeys.delete(secrets));
    signingKeys.set(secrets, key);
  }
  return key;
};

const signature = (key: Buffer, payload: string) =>
  createHmac('sha256', key).update(payload).digest('base64url');

const signState = async (secrets: SecretStore, nonce: string, expiresAtSeconds: number) => {
  const payload = `${STATE_VERSION}.${nonce}.${expiresAtSeconds}`;
  return `${payload}.${signature(await signingKey(secrets), payload)}`;
};

/** The nonce and expiry of a state we signed, or a ConnectError. */
const verifyState = async (
  secrets: SecretStore,
  state: string | undefined,
  nowMs: number,
): Promise<{ nonce: string }> => {
  const invalid = new ConnectError(
    'invalid_state',
    'The connection link is not valid; start the connection again from the console',
  );
  const parts = (state ?? '').split('.');
  if (parts.length !== 4 || state === undefined || state.length > 200) throw invalid;
  const [version, nonce = '', expires = '', given = ''] = parts;
  if (version !== STATE_VERSION || !NONCE.test(nonce) || !/^\d{1,12}$/.test(expires)) throw invalid;
  // Verifying never creates the key: without one, no state was ever issued.
  const key = signingKeys.has(secrets) ? await signingKey(secrets) : await readSigningKey(secrets);
  if (!key) throw invalid;
  const expected = Buffer.from(signature(key, `${version}.${nonce}.${expires}`));
  const actual = Buffer.from(given);
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) throw invalid;
  if (Number(expires) <= epochSeconds(nowMs)) {
    throw new ConnectError('expired', 'The connection took longer than 10 minutes; start it again');
  }
  return { nonce };
};

const removePending = async (deps: InstanceDeps, item: StateItem) => {
  if (typeof item.secretName === 'string') await deps.secretStore.delete(item.secretName);
  await deps.stateTable.delete({ pk: item.pk, sk: item.sk });
};

/** Removes a few pending records past their validity, and their secrets. */
const sweepExpired = async (deps: InstanceDeps) => {
  const nowMs = deps.now().getTime();
  const page = await deps.stateTable.query({
    pk: PENDING_PARTITION,
    sk: { beginsWith: 'pending#' },
    limit: 100,
  });
  const expired = page.items
    .filter((item) => typeof item.validUntil !== 'number' || item.validUntil <= nowMs)
    .slice(0, SWEEP_LIMIT);
  for (const item of expired) await removePending(deps, item);
};

export interface StartConnectInput {
  userId: string;
  /** Our hosted callback (`.../console/oauth/callback`) as the browser reaches it. */
  callbackUrl: string;
  /** A new instance: the POST /instances body without `providerData.code`. */
  body?: unknown;
  /** Re-authorize this instance of the user with its stored client credentials. */
  instanceId?: number;
}

/**
 * Checks what the callback will do (as create or update would, minus the code), stores it as a pending
 * record, and answers the authorize URL carrying a state signed for that record.
 */
export const startConnect = async (deps: ConnectDeps, input: StartConnectInput): Promise<ConnectStarted> => {
  const nowMs = deps.now().getTime();
  let baseUrl: string;
  let clientId: string;
  let pendingBody: Record<string, unknown> | undefined;
  if (input.instanceId !== undefined) {
    const record = await deps.instances.owned(input.userId, input.instanceId);
    if (findElement(record.elementKey)?.authentication.type !== 'oauth2') {
      throw badRequest(
        `Instance ${record.id} does not use OAuth; only servicenowoauth instances can connect`,
      );
    }
    const secret = await createInstanceStore(deps).loadSecret(record);
    if (secret?.auth.type !== 'oauth' || secret.auth.clientId === '') {
      throw badRequest(`Instance ${record.id} has no OAuth client id to authorize with`);
    }
    clientId = secret.auth.clientId;
    baseUrl = await checkedBaseUrl(record.configuration['servicenow.subdomain'] ?? '', deps.allowedHosts);
  } else {
    const body = input.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw badRequest('Request body must be a JSON object');
    }
    const given = body as Record<string, unknown>;
    if (given.providerData !== undefined) {
      throw badRequest('providerData is set by the connect flow; leave it out');
    }
    const configuration = given.configuration;
    pendingBody = {
      ...given,
      element: given.element ?? { key: 'servicenowoauth' },
      configuration: {
        ...(typeof configuration === 'object' && configuration !== null ? configuration : {}),
        // The code is exchanged with the redirect URI it was issued for: ours.
        'oauth.callback.url': input.callbackUrl,
      },
    };
    ({ baseUrl, clientId } = await deps.instances.checkConnect(pendingBody));
  }
  await sweepExpired(deps);

  const nonce = randomBytes(32).toString('base64url');
  const validUntil = nowMs + CONNECT_TTL_MS;
  const expiresAtSeconds = epochSeconds(validUntil);
  const secretName = pendingBody === undefined ? undefined : pendingSecretName(nonce);
  if (secretName !== undefined) await deps.secretStore.put(secretName, JSON.stringify(pendingBody));
  await deps.stateTable.put(
    {
      ...pendingKey(nonce),
      userId: input.userId,
      callbackUrl: input.callbackUrl,
      validUntil,
      expiresAt: expiresAtSeconds + PENDING_RETENTION_SECONDS,
      ...(input.instanceId === undefined ? {} : { instanceId: input.instanceId }),
      ...(secretName === undefined ? {} : { secretName }),
    },
    { ifNotExists: true },
  );
  const state = await signState(deps.secretStore, nonce, expiresAtSeconds);
  return {
    authorizeUrl: authorizationUrl(baseUrl, { clientId, redirectUri: input.callbackUrl, state }),
    state,
    expiresAt: new Date(expiresAtSeconds * 1000).toISOString(),
    callbackUrl: input.callbackUrl,
  };
};

export interface CallbackQuery {
  code?: string | undefined;
  state?: string | undefined;
  error?: string | undefined;
}

/** OAuth's error codes are short tokens; anything else is not echoed. */
const OAUTH_ERROR = /^[a-z_]{1,64}$/;

/**
 * Completes a started connection once: verifies the state, claims the pending record (a replay finds
 * it gone), then creates the instance or updates the tokens of the existing one with the code.
 */
export const completeConnect = async (
  deps: ConnectDeps,
  query: CallbackQuery,
): Promise<{ instance: InstanceView; created: boolean }> => {
  const nowMs = deps.now().getTime();
  const { nonce } = await verifyState(deps.secretStore, query.state, nowMs);
  const key = pendingKey(nonce);
  const item = await deps.stateTable.get(key);
  const used = new ConnectError(
    'already_used',
    'This connection was already completed or cancelled; start it again from the console',
  );
  if (!item || typeof item.userId !== 'string') throw used;
  try {
    // Claimed by this request alone: a concurrent or later replay fails the version condition.
    await deps.stateTable.delete(key, { ...(item.version === undefined ? {} : { ifVersion: item.version }) });
  } catch (error) {
    if (error instanceof ConditionFailedError) throw used;
    throw error;
  }
  let body: Record<string, unknown> | undefined;
  if (typeof item.secretName === 'string') {
    const stored = await deps.secretStore.get(item.secretName);
    await deps.secretStore.delete(item.secretName);
    body = stored === undefined ? undefined : (JSON.parse(stored) as Record<string, unknown>);
  }
  await sweepExpired(deps);
  if (typeof item.validUntil !== 'number' || item.validUntil <= nowMs) {
    throw new ConnectError('expired', 'The connection took longer than 10 minutes; start it again');
  }
  if (query.error !== undefined) {
    if (query.error === 'access_denied') {
      throw new ConnectError('access_denied', 'Access was denied on the ServiceNow authorization page');
    }
    const code = OAUTH_ERROR.test(query.error) ? ` (${query.error})` : '';
    throw new ConnectError('provider_error', `ServiceNow did not authorize the connection${code}`);
  }
  if (query.code === undefined || query.code === '') {
    throw new ConnectError('missing_code', 'ServiceNow returned no authorization code');
  }
  const providerData = { code: query.code };
  try {
    if (typeof item.instanceId === 'number') {
      const instance = await deps.instances.update(
        item.userId,
        item.instanceId,
        { configuration: { 'oauth.callback.url': item.callbackUrl }, providerData },
        'merge',
      );
      return { instance, created: false };
    }
    if (body === undefined) throw used;
    return { instance: await deps.instances.create(item.userId, { ...body, providerData }), created: true };
  } catch (error) {
    // Our own errors are written for callers and never carry secrets; ServiceNow's detail stays out.
    if (isElementError(error) && error.status < 500) throw new ConnectError('rejected', error.message);
    throw error;
  }
};
