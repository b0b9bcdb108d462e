import { invalidateToken } from '../auth/token-index';
import { type ElementDefinition, findElement, parameterOf } from '../elements';
import { badRequest, ElementError, notFound } from '../errors';
import { EVENT_KEYS, type EventsConfig, parseEventsConfig } from '../events/configuration';
import { forgetEvents, markDue } from '../events/schedule';
import { checkCallbackUrl } from '../net';
import { ConditionFailedError } from '../ports/errors';
import { serviceNowBaseUrl } from '../servicenow';
import { forgetInstanceTransformations } from '../transformations/store';
import { checkedBaseUrl, tableBaseUrl } from './base-url';
import { mergeConfiguration, normalizeConfiguration, withDefaults } from './configuration';
import { elementTokenHash, newElementToken } from './element-token';
import { type Grant, grantFor, requiredKeysFor } from './grants';
import { forgetInstanceClient } from './instance-client';
import { createInstanceStore, instanceSecretName } from './instance-store';
import { fullConfiguration, type InstanceView, instanceView, storedConfiguration } from './instance-view';
import { provision } from './provisioning';
import { type InstanceBody, parseInstanceBody } from './request-body';
import { sanitizeTags, sanitizeText } from './sanitize';
import type { InstanceCredentials, InstanceDeps, InstanceRecord, InstanceSecret } from './types';

const SAFE_ECHO = /^[A-Za-z0-9_.-]{1,64}$/;
const echo = (value: string) => (SAFE_ECHO.test(value) ? ` ${value}` : '');

/** Unknown key or id in a path (`/elements/{keyOrId}/...`) is a missing resource. */
export const elementFromPath = (keyOrId: string | undefined): ElementDefinition => {
  const element = findElement(keyOrId);
  if (!element) throw notFound(`No element with key or id${echo(keyOrId ?? '')}`);
  return element;
};

/**
 * The element of a create request: the path's (POST /elements/{keyOrId}/instances) or the body's
 * `element.key`/`element.id`. An unknown element in the BODY is a 400 (the request is wrong, not the
 * URL); in the path it is a 404 (see elementFromPath).
 */
const elementOf = (body: InstanceBody, pathKey: string | undefined): ElementDefinition | undefined => {
  const bodyRef = body.element?.key ?? body.element?.id;
  if (pathKey !== undefined) {
    const element = elementFromPath(pathKey);
    if (bodyRef !== undefined && findElement(bodyRef)?.key !== element.key) {
      throw badRequest('element in the body does not match the element in the path');
    }
    return element;
  }
  if (bodyRef === undefined) return undefined;
  const element = findElement(bodyRef);
  if (!element)
    throw badRequest(`Unknown element${echo(String(bodyRef))}; use servicenow or servicenowoauth`);
  return element;
};

const missingError = (missing: string[]) => badRequest(`Missing required keys: ${missing.join(', ')}`);

const missingKeys = (
  grant: Grant,
  configuration: Record<string, string>,
  code: string | undefined,
  previous?: InstanceCredentials,
) => {
  const missing = requiredKeysFor(grant).filter((key) => (configuration[key] ?? '') === '');
  if (grant === 'authorization_code' && code === undefined && previous?.type !== 'oauth') {
    missing.push('providerData.code');
  }
  return missing;
};

const nonNull = (values: Record<string, string | null>): Record<string, string> =>
  Object.fromEntries(Object.entries(values).filter((e): e is [string, string] => e[1] !== null));

/** The secret to store: credentials plus secret configuration keys that are not credentials. */
const secretFor = (
  element: ElementDefinition,
  token: string,
  credentials: InstanceCredentials,
  configuration: Record<string, string>,
): InstanceSecret => {
  const authKeys = new Set(['password', 'oauth.api.key', 'oauth.api.secret']);
  const extra = Object.fromEntries(
    Object.entries(configuration).filter(([key]) => parameterOf(element, key)?.secret && !authKeys.has(key)),
  );
  return { token, auth: credentials, ...(Object.keys(extra).length > 0 ? { configuration: extra } : {}) };
};

const tableConfiguration = (
  element: ElementDefinition,
  configuration: Record<string, string>,
  baseUrl: string,
) =>
  storedConfiguration(
    { ...configuration, 'base.url': tableBaseUrl(baseUrl) },
    (key) => parameterOf(element, key)?.secret === true,
  );

/**
 * The event keys checked like the poller will read them (shared/events parseEventsConfig), so a bad
 * events configuration is a 400 naming the key before anything is provisioned or stored.
 */
const eventsOf = (configuration: Record<string, string>): EventsConfig => parseEventsConfig(configuration);

const sanitizedName = (name: string | undefined): string | undefined =>
  name === undefined ? undefined : sanitizeText(name);

export interface InstanceService {
  create(userId: string, body: unknown, pathElement?: string): Promise<InstanceView>;
  list(userId: string, filter?: { tags?: string[] }): Promise<InstanceView[]>;
  get(userId: string, id: number): Promise<InstanceView>;
  update(userId: string, id: number, body: unknown, mode: 'replace' | 'merge'): Promise<InstanceView>;
  remove(userId: string, id: number): Promise<void>;
  setEnabled(userId: string, id: number, enabled: boolean): Promise<InstanceView>;
  configuration(userId: string, id: number): Promise<ConfigurationItem[]>;
  updateConfiguration(
    userId: string,
    id: number,
    configId: string,
    body: unknown,
  ): Promise<ConfigurationItem>;
  /** An instance of the user, or a 404 (another user's instance is indistinguishable from a missing one). */
  owned(userId: string, id: number): Promise<InstanceRecord>;
  /**
   * Checks an authorization-code instance body as create would (the code excepted: it comes later),
   * the base URL against SSRF included; returns where to send the browser to authorize.
   */
  checkConnect(body: unknown, pathElement?: string): Promise<{ baseUrl: string; clientId: string }>;
}

/** `GET /instances/{id}/configuration` items. The config id is the key itself: stable, readable. */
export interface ConfigurationItem {
  id: string;
  key: string;
  name: string;
  propertyValue: string;
}

const configurationItems = (record: InstanceRecord): ConfigurationItem[] => {
  const element = findElement(record.elementKey);
  return Object.entries(record.configuration).map(([key, propertyValue]) => ({
    id: key,
    key,
    name: (element && parameterOf(element, key)?.name) ?? key,
    propertyValue,
  }));
};

export const parseInstanceId = (value: string | undefined): number => {
  const id = Number(value);
  if (!value || !/^\d{1,12}$/.test(value) || !Number.isSafeInteger(id) || id < 1) {
    throw notFound('No instance with that id');
  }
  return id;
};

export const createInstanceService = (deps: InstanceDeps): InstanceService => {
  const store = createInstanceStore(deps);
  const nowIso = () => deps.now().toISOString();

  const owned = async (userId: string, id: number): Promise<InstanceRecord> => {
    const record = await store.get(id);
    if (!record || record.ownerUserId !== userId) throw notFound(`No instance with id ${id}`);
    return record;
  };

  const ownedWithSecret = async (userId: string, id: number) => {
    const record = await owned(userId, id);
    const secret = await store.loadSecret(record);
    if (!secret)
      throw new ElementError(500, `The credentials of instance ${id} are missing; delete and re-create it`);
    return { record, secret };
  };

  /**
   * The events callback URL checked like every outbound URL when it is set or changed (not on every
   * unrelated update: DNS may fail for a while), before anything is provisioned or stored.
   */
  const checkEventsCallback = async (events: EventsConfig, previous?: string) => {
    if (events.callbackUrl === undefined || events.callbackUrl === previous?.trim()) return;
    await checkCallbackUrl(
      events.callbackUrl,
      { allowedHosts: deps.allowedHosts },
      `Invalid ${EVENT_KEYS.callbackUrl}`,
    );
  };

  const save = async (record: InstanceRecord): Promise<InstanceRecord> => {
    try {
      return await store.save(record);
    } catch (error) {
      if (error instanceof ConditionFailedError) {
        throw new ElementError(409, 'The instance was changed by another request; retry');
      }
      throw error;
    }
  };

  /**
   * Everything create checks before it calls ServiceNow. `codeToCome`: an authorization-code instance
   * whose code the OAuth connect flow will bring, so the grant is that one and the code is not required.
   */
  const prepareNew = (rawBody: unknown, pathElement: string | undefined, codeToCome = false) => {
    const body = parseInstanceBody(rawBody);
    const element = elementOf(body, pathElement);
    const name = sanitizedName(body.name);
    if (!element) throw missingError(['element.key', ...(name ? [] : ['name'])]);
    if (codeToCome && element.authentication.type !== 'oauth2') {
      throw badRequest(`Element ${element.key} does not use OAuth; use servicenowoauth`);
    }
    const configuration = withDefaults(element, nonNull(normalizeConfiguration(element, body.configuration)));
    const code = body.providerData?.code;
    const grant: Grant = codeToCome ? 'authorization_code' : grantFor(element, configuration, code);
    const missing = [
      ...(name ? [] : ['name']),
      ...missingKeys(grant, configuration, codeToCome ? 'from the connect flow' : code),
    ];
    if (missing.length > 0) throw missingError(missing);
    return { body, element, name, configuration, code, grant, events: eventsOf(configuration) };
  };

  const service: InstanceService = {
    owned,

    async checkConnect(rawBody, pathElement) {
      const { configuration, events } = prepareNew(rawBody, pathElement, true);
      await checkEventsCallback(events);
      const baseUrl = await checkedBaseUrl(configuration['servicenow.subdomain'] ?? '', deps.allowedHosts);
      return { baseUrl, clientId: configuration['oauth.api.key'] ?? '' };
    },

    async create(userId, rawBody, pathElement) {
      const { body, element, name, configuration, code, grant, events } = prepareNew(rawBody, pathElement);
      await checkEventsCallback(events);

      const { baseUrl, credentials } = await provision(
        { element, grant, configuration, ...(code ? { code } : {}) },
        deps,
      );

      // Verified: now write (secret, instance, token index), nothing before this point.
      const id = await store.nextId();
      const token = newElementToken();
      const now = nowIso();
      const record: InstanceRecord = {
        id,
        name: name ?? '',
        elementKey: element.key,
        ownerUserId: userId,
        tags: sanitizeTags(body.tags ?? []),
        configuration: tableConfiguration(element, configuration, baseUrl),
        secretName: instanceSecretName(id),
        valid: true,
        disabled: false,
        eventsEnabled: events.enabled,
        ...(events.enabled ? { eventsEnabledAt: now } : {}),
        createdDate: now,
        updatedDate: now,
      };
      await store.saveSecret(record, secretFor(element, token, credentials, configuration));
      const created = await store.create(record);
      await store.putToken(token, { instanceId: id, ownerUserId: userId });
      // Due at once: the first poll sets every checkpoint at the enabled-at moment.
      if (events.enabled) await markDue(deps.stateTable, id, new Date(now));
      return instanceView(created, { token });
    },

    async list(userId, filter = {}) {
      const records = await store.listByOwner(userId);
      const wanted = filter.tags?.filter((tag) => tag !== '') ?? [];
      return records
        .filter((record) => wanted.length === 0 || wanted.some((tag) => record.tags.includes(tag)))
        .map((record) => instanceView(record));
    },

    async get(userId, id) {
      const { record, secret } = await ownedWithSecret(userId, id);
      return instanceView(record, { token: secret.token });
    },

    async update(userId, id, rawBody, mode) {
      const body = parseInstanceBody(rawBody);
      const { record, secret } = await ownedWithSecret(userId, id);
      const element = findElement(record.elementKey);
      if (!element) throw new ElementError(500, `Instance ${id} refers to an unknown element`);
      const bodyRef = body.element?.key ?? body.element?.id;
      if (bodyRef !== undefined && findElement(bodyRef)?.key !== element.key) {
        throw badRequest('The element of an instance cannot be changed');
      }
      const changes = normalizeConfiguration(element, body.configuration);
      const { 'base.url': _baseUrl, ...current } = fullConfiguration(record, secret);
      let configuration: Record<string, string>;
      if (mode === 'merge') {
        configuration = mergeConfiguration(current, changes);
      } else {
        // Full replace: non-secret keys not given go back to their defaults; secrets not given are kept
        // (responses mask them, so a client echoing a GET cannot send them back).
        const keptSecrets = Object.fromEntries(
          Object.entries(current).filter(([key]) => parameterOf(element, key)?.secret),
        );
        configuration = mergeConfiguration(withDefaults(element, keptSecrets), changes);
      }
      const name = mode === 'replace' || body.name !== undefined ? sanitizedName(body.name) : record.name;
      const code = body.providerData?.code;
      const previousGrant: Grant = secret.auth.type === 'basic' ? 'basic' : secret.auth.grant;
      const grant = grantFor(element, configuration, code, previousGrant);
      const missing = [...(name ? [] : ['name']), ...missingKeys(grant, configuration, code, secret.auth)];
      if (missing.length > 0) throw missingError(missing);
      const events = eventsOf(configuration);
      await checkEventsCallback(events, current[EVENT_KEYS.callbackUrl]);

      const credentialChanged = element.configuration.some(
        (parameter) => parameter.credential && current[parameter.key] !== configuration[parameter.key],
      );
      const reprovision =
        mode === 'replace' || credentialChanged || code !== undefined || grant !== previousGrant;
      let credentials = secret.auth;
      let baseUrl = serviceNowBaseUrl(configuration['servicenow.subdomain'] ?? '', deps.allowedHosts);
      if (reprovision) {
        ({ baseUrl, credentials } = await provision(
          { element, grant, configuration, ...(code ? { code } : {}), previous: secret.auth },
          deps,
        ));
      }
      const { invalidReason: _reason, eventsEnabledAt: previousEnabledAt, ...rest } = record;
      const updatedDate = nowIso();
      const wasEnabled = record.eventsEnabled;
      // Kept while events stay on (the checkpoints already started there); a fresh moment when they turn on.
      const eventsEnabledAt = events.enabled
        ? wasEnabled
          ? (previousEnabledAt ?? record.updatedDate)
          : updatedDate
        : undefined;
      const next: InstanceRecord = {
        ...rest,
        name: name ?? record.name,
        tags: body.tags !== undefined ? sanitizeTags(body.tags) : mode === 'replace' ? [] : record.tags,
        configuration: tableConfiguration(element, configuration, baseUrl),
        eventsEnabled: events.enabled,
        ...(eventsEnabledAt === undefined ? {} : { eventsEnabledAt }),
        updatedDate,
        ...(reprovision
          ? { valid: true }
          : record.invalidReason === undefined
            ? {}
            : { invalidReason: record.invalidReason }),
      };
      await store.saveSecret(record, secretFor(element, secret.token, credentials, configuration));
      const saved = await save(next);
      forgetInstanceClient(id);
      if (events.enabled && !wasEnabled) {
        await markDue(deps.stateTable, id, new Date(updatedDate));
      } else if (!events.enabled && wasEnabled) {
        await forgetEvents(deps.stateTable, id);
      } else if (
        events.enabled &&
        record.configuration['event.poller.refresh_interval'] !==
          saved.configuration['event.poller.refresh_interval']
      ) {
        // A new interval applies from now on rather than after the old (maybe a day long) one.
        await markDue(deps.stateTable, id, new Date(updatedDate));
      }
      return instanceView(saved);
    },

    async remove(userId, id) {
      const record = await owned(userId, id);
      const secret = await store.loadSecret(record);
      // Token first: from here on the element token answers 401, even if a later step fails.
      if (secret) {
        await store.deleteToken(secret.token);
        invalidateToken(elementTokenHash(secret.token));
      }
      await store.deleteSecret(record);
      await store.delete(id);
      forgetInstanceClient(id);
      await forgetEvents(deps.stateTable, id, { status: true });
      await forgetInstanceTransformations(deps.stateTable, record);
    },

    async setEnabled(userId, id, enabled) {
      const record = await owned(userId, id);
      const saved = await save({ ...record, disabled: !enabled, updatedDate: nowIso() });
      return instanceView(saved);
    },

    async configuration(userId, id) {
      return configurationItems(await owned(userId, id));
    },

    async updateConfiguration(userId, id, configId, rawBody) {
      const record = await owned(userId, id);
      const element = findElement(record.elementKey);
      if (!element || (configId !== 'base.url' && !parameterOf(element, configId))) {
        throw notFound(`No configuration${echo(configId)} for instance ${id}`);
      }
      if (typeof rawBody !== 'object' || rawBody === null || !('propertyValue' in rawBody)) {
        throw badRequest('Missing required keys: propertyValue');
      }
      const propertyValue = (rawBody as { propertyValue: unknown }).propertyValue;
      const updated = await service.update(
        userId,
        id,
        { configuration: { [configId]: propertyValue } },
        'merge',
      );
      const configuration = Object.fromEntries(
        Object.entries(updated.configuration).filter((entry): entry is [string, string] => entry[1] !== null),
      );
      const items = configurationItems({ ...record, configuration });
      return (
        items.find((item) => item.key === configId) ?? {
          id: configId,
          key: configId,
          name: configId,
          propertyValue: '',
        }
      );
    },
  };
  return service;
};
