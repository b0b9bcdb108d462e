import { maxConcurrencyOf } from '../elements/configuration-parameters';
import { UnauthorizedError } from '../errors';
import { serviceNowExchangeRecorder } from '../metrics';
import type { SecretStore } from '../ports';
import {
  createLeaseGate,
  createServiceNowClient,
  type OAuthTokens,
  type ServiceNowAuth,
  ServiceNowAuthError,
  type ServiceNowClient,
  serviceNowBaseUrl,
} from '../servicenow';
import { createInstanceStore } from './instance-store';
import type { InstanceDeps, InstanceRecord, InstanceSecret } from './types';

/** Hub calls run inside a 29 s Lambda behind API Gateway's 30 s limit. */
const HUB_TIMEOUT_MS = 20_000;
const LEASE_MARGIN_MS = 10_000;

export const reauthorizeMessage = (id: number) =>
  `ServiceNow rejected the instance's credentials; re-authorize the instance (PATCH /instances/${id} with providerData.code or new credentials)`;

/** The 401 a hub call gets for an instance whose credentials failed for good. */
export const reauthorizeError = (id: number, providerMessage?: string) =>
  new UnauthorizedError(reauthorizeMessage(id), providerMessage === undefined ? {} : { providerMessage });

interface CachedClient {
  key: string;
  client: Promise<ServiceNowClient>;
}

// One client per instance per process: its OAuthTokenProvider makes refreshes single-flight for every
// concurrent call in this process. Across processes (Lambda containers) two refreshes may race; that is
// harmless because ServiceNow keeps returning the same refresh token.
const clients = new Map<number, CachedClient>();

/** Test seam and re-provisioning hook: the next call builds a new client from the stored secret. */
export const forgetInstanceClient = (id: number): void => {
  clients.delete(id);
  secrets.delete(id);
};

interface CachedSecret {
  key: string;
  store: SecretStore;
  until: number;
  secret: Promise<InstanceSecret | undefined>;
}

/** Long enough that a poll or a burst of deliveries reads the secret once, short enough for other processes. */
const SECRET_TTL_MS = 60_000;
const secrets = new Map<number, CachedSecret>();

/**
 * The instance's secret, read at most once a minute per process for the events dispatcher (one read per
 * delivery otherwise, and Secrets Manager bills each). An instance update rewrites the record
 * (updatedDate), so the first read of the new record reads the new secret in every process; a ServiceNow
 * 401 or an update in this process forgets it at once (forgetInstanceClient).
 */
export const instanceSecretFor = (
  instance: InstanceRecord,
  deps: Pick<InstanceDeps, 'stateTable' | 'secretStore'>,
): Promise<InstanceSecret | undefined> => {
  const key = cacheKey(instance);
  const now = Date.now();
  const cached = secrets.get(instance.id);
  if (cached && cached.key === key && cached.store === deps.secretStore && cached.until > now) {
    return cached.secret;
  }
  const secret = createInstanceStore(deps).loadSecret(instance);
  secrets.set(instance.id, { key, store: deps.secretStore, until: now + SECRET_TTL_MS, secret });
  secret.catch(() => {
    if (secrets.get(instance.id)?.secret === secret) secrets.delete(instance.id);
  });
  return secret;
};

/** The cache key: a re-provision or a credential change rewrites the record (updatedDate) and the URL. */
const cacheKey = (instance: InstanceRecord) =>
  `${instance.updatedDate}|${instance.configuration['servicenow.subdomain'] ?? ''}`;

const authOf = (secret: InstanceSecret): ServiceNowAuth => {
  const auth = secret.auth;
  if (auth.type === 'basic') return { type: 'basic', username: auth.username, password: auth.password };
  return {
    type: 'oauth',
    grant: auth.grant,
    clientId: auth.clientId,
    clientSecret: auth.clientSecret,
    accessToken: auth.accessToken,
    ...(auth.refreshToken === undefined ? {} : { refreshToken: auth.refreshToken }),
    ...(auth.expiresAt === undefined ? {} : { expiresAt: auth.expiresAt }),
    ...(auth.username === undefined ? {} : { username: auth.username }),
    ...(auth.password === undefined ? {} : { password: auth.password }),
  };
};

/** Every method of the client, wrapped so a permanent auth failure marks the instance invalid. */
const guarded = (client: ServiceNowClient, onAuthFailure: (error: ServiceNowAuthError) => Promise<never>) => {
  const wrap =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await fn(...args);
      } catch (error) {
        if (error instanceof ServiceNowAuthError) return onAuthFailure(error);
        throw error;
      }
    };
  const wrapped: ServiceNowClient = {
    baseUrl: client.baseUrl,
    request: wrap(client.request) as ServiceNowClient['request'],
    list: wrap(client.list),
    get: wrap(client.get),
    create: wrap(client.create),
    update: wrap(client.update),
    replace: wrap(client.replace),
    delete: wrap(client.delete),
    count: wrap(client.count),
  };
  return wrapped;
};

/**
 * A ServiceNow client for an instance, built from its credentials secret:
 * - Basic, or OAuth bearer with refresh ahead of expiry and after a 401 (single-flight per instance);
 * - refreshed tokens are written back to the secret (best effort, see OAuthTokenProvider);
 * - when ServiceNow refuses the credentials for good (ServiceNowAuthError: bad password, revoked or
 *   expired refresh token) the instance is marked `valid: false` with the reason, and the call fails
 *   with a 401 telling the user to re-authorize.
 * Throws 401 for a missing secret (instance deleted meanwhile). Callers check `disabled`/`valid` first.
 */
export const serviceNowClientFor = (
  instance: InstanceRecord,
  deps: InstanceDeps,
): Promise<ServiceNowClient> => {
  const key = cacheKey(instance);
  const cached = clients.get(instance.id);
  if (cached && cached.key === key) return cached.client;
  const client = build(instance, deps);
  clients.set(instance.id, { key, client });
  client.catch(() => {
    if (clients.get(instance.id)?.client === client) clients.delete(instance.id);
  });
  return client;
};

const build = async (instance: InstanceRecord, deps: InstanceDeps): Promise<ServiceNowClient> => {
  const store = createInstanceStore(deps);
  const secret = await store.loadSecret(instance);
  if (!secret) throw new UnauthorizedError(reauthorizeMessage(instance.id));
  const baseUrl = serviceNowBaseUrl(instance.configuration['servicenow.subdomain'] ?? '', deps.allowedHosts);

  const onTokens = async (tokens: OAuthTokens) => {
    // Re-read so a concurrent credential change is not overwritten with stale fields.
    const current = await store.loadSecret(instance);
    if (current?.auth.type !== 'oauth') return;
    await store.saveSecret(instance, {
      ...current,
      auth: {
        ...current.auth,
        accessToken: tokens.accessToken,
        expiresAt: tokens.expiresAt,
        ...(tokens.refreshToken === undefined ? {} : { refreshToken: tokens.refreshToken }),
      },
    });
  };

  const onAuthFailure = async (error: ServiceNowAuthError): Promise<never> => {
    forgetInstanceClient(instance.id);
    const reason = error.providerMessage ? `${error.message} (${error.providerMessage})` : error.message;
    await store.patch(instance.id, { valid: false, invalidReason: reason }).catch(() => undefined);
    throw reauthorizeError(instance.id, error.providerMessage);
  };

  const timeoutMs = deps.http?.timeoutMs ?? HUB_TIMEOUT_MS;
  const concurrency = maxConcurrencyOf(instance.configuration);
  const client = createServiceNowClient({
    baseUrl,
    allowedHosts: deps.allowedHosts,
    clock: { now: () => deps.now().getTime() },
    timeoutMs,
    concurrency,
    // Local mode runs one process per data dir, where the process-wide semaphore is already exact.
    ...(deps.mode === 'aws'
      ? {
          gate: createLeaseGate({
            table: deps.stateTable,
            key: String(instance.id),
            limit: concurrency,
            // Beyond the exchange's own timeout: only a dead holder's lease ever lapses.
            leaseMs: timeoutMs + LEASE_MARGIN_MS,
            maxWaitMs: timeoutMs,
          }),
        }
      : {}),
    ...(deps.http?.maxAttempts === undefined ? {} : { maxAttempts: deps.http.maxAttempts }),
    ...(deps.http?.sleep ? { sleep: deps.http.sleep } : {}),
    auth: authOf(secret),
    onTokens,
    onExchange: serviceNowExchangeRecorder(instance.id),
  });
  return guarded(client, onAuthFailure);
};
