import { elementView, findElement, parameterOf } from '../elements';
import { MASK } from './configuration';
import type { InstanceView } from './response-schemas';
import type { InstanceRecord, InstanceSecret } from './types';

/**
 * The full configuration of an instance, secrets included: the table's keys (where secret keys only
 * hold the mask `********`, marking that a value exists) overlaid with the values from the credentials
 * secret (auth fields map back to their configuration keys).
 */
export const fullConfiguration = (
  record: InstanceRecord,
  secret: InstanceSecret | undefined,
): Record<string, string> => {
  const element = findElement(record.elementKey);
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(record.configuration)) {
    if (!(element && parameterOf(element, key)?.secret)) out[key] = value;
  }
  const auth = secret?.auth;
  if (auth?.type === 'basic') out.password = auth.password;
  if (auth?.type === 'oauth') {
    out['oauth.api.key'] = auth.clientId;
    out['oauth.api.secret'] = auth.clientSecret;
    if (auth.password !== undefined) out.password = auth.password;
  }
  return { ...out, ...secret?.configuration };
};

/** What the table stores: non-secret values, and `********` for every secret key that has a value. */
export const storedConfiguration = (
  full: Record<string, string>,
  isSecret: (key: string) => boolean,
): Record<string, string> =>
  Object.fromEntries(
    Object.entries(full)
      .map(([key, value]): [string, string] => [key, isSecret(key) ? MASK : value])
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );

export interface InstanceViewOptions {
  /** Only POST and GET /instances/{id} carry the element token (the way to recover it). */
  token?: string;
}

/**
 * Keys CE lists as `null` while unset: every event key of the element and the
 * notification subscription id, so a client reading them finds them whether set or not.
 */
const unsetKeysOf = (element: ReturnType<typeof findElement>): Record<string, null> =>
  Object.fromEntries(
    [
      ...(element?.configuration ?? [])
        .map((parameter) => parameter.key)
        .filter((key) => key.startsWith('event.')),
      'event.notification.subscription.id',
    ].map((key) => [key, null]),
  );

/**
 * Response shape as CE returns it: every configuration value a string, secrets masked, defaults filled
 * in, unset event keys `null`, the whole element, and CE's user fields (a user here has an id only,
 * which doubles as its first name; the e-mail and last name are empty).
 */
export const instanceView = (record: InstanceRecord, options: InstanceViewOptions = {}): InstanceView => {
  const element = findElement(record.elementKey);
  return {
    id: record.id,
    name: record.name,
    createdDate: record.createdDate,
    updatedDate: record.updatedDate,
    ...(options.token === undefined ? {} : { token: options.token }),
    element: element ? elementView(element) : { key: record.elementKey },
    elementId: element?.id,
    provisionInteractions: [],
    valid: record.valid,
    ...(record.invalidReason === undefined ? {} : { invalidReason: record.invalidReason }),
    disabled: record.disabled,
    maxCacheSize: 0,
    cacheTimeToLive: 0,
    configuration: { ...unsetKeysOf(element), ...record.configuration } as Record<string, string | null>,
    eventsEnabled: record.eventsEnabled,
    traceLoggingEnabled: false,
    cachingEnabled: false,
    externalAuthentication: 'none',
    tags: record.tags,
    user: { id: record.ownerUserId, emailAddress: '', firstName: record.ownerUserId, lastName: '' },
  };
};

export type { InstanceView };
