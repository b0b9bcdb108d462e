import { InvalidInputError } from '../errors';
import { jsonNestsDeeperThan, MAX_JSON_DEPTH } from '../input';
import { resolveResource } from '../resources';
import type { SnRecord } from '../servicenow';
import * as z from '../validation/zod';

/**
 * The event keys of an instance configuration parsed into what the poller
 * needs. Instances store every configuration value as a string (`"true"`, `"15"`, the poller JSON as
 * text), so this accepts strings and, for callers holding a posted body, booleans/numbers/objects too.
 *
 * What we honour from a CE per-resource entry, and what we deliberately do not (documented deviations):
 * - `url`: only its resource (the last path segment of `/hubs/<hub>/<resource>`, so "copy a default entry
 *   and replace the name" works) and a `where` that is just the date-template comparison on
 *   `sys_updated_on`. The poller reads the table directly with keyset paging from its own checkpoint
 *  , so the date template is never expanded; any further CEQL condition is refused with a
 *   400 rather than silently dropped.
 * - `datesConfiguration.updatedDateField` must be `sys_updated_on` (the keyset column). Formats and time
 *   zones are accepted and ignored: we read raw values, which the Table API always returns in UTC (A.7).
 * - `filterByUpdatedDate: false` (CE: filter on the created date) emits CREATED events only.
 * - `pollDelay` (seconds) re-reads that much before the checkpoint every poll; the overlap is de-duplicated.
 */
export const EVENT_KEYS = {
  enabled: 'event.notification.enabled',
  callbackUrl: 'event.notification.callback.url',
  signatureKey: 'event.notification.signature.key',
  refreshInterval: 'event.poller.refresh_interval',
  pollerConfiguration: 'event.poller.configuration',
} as const;

export const DEFAULT_REFRESH_INTERVAL_MINUTES = 15;
export const DEFAULT_EVENT_PAGE_SIZE = 1000;
/** Resources polled when `event.poller.configuration` is empty (CE's four plus the other mapped tables). */
export const DEFAULT_EVENT_RESOURCES = [
  'incidents',
  'accounts',
  'contacts',
  'agents',
  'problems',
  'changes',
  'users',
  'groups',
] as const;

export interface ResourcePoll {
  /** The configured resource name; it is the events' `objectType`. */
  name: string;
  /**
   * The hub resource it polls when the url names another than `name` (a copied entry); may be a
   * common resource. `resourceOf()` reads it.
   */
  resource?: string;
  table: string;
  /**
   * Set when `resource` is neither a hub resource nor a table name: only a common resource
   * (transformation) can give it a table, at poll time (shared/events/common-resources.ts).
   */
  commonOnly?: true;
  /** A common resource's mapping of each polled record (vendor -> common, `id` first). */
  transform?: (record: SnRecord) => Promise<Record<string, unknown>>;
  /** Encoded query ANDed into every read (agents = users with the itil role). */
  filter?: string;
  /** Dotted path into the raw record; its value is the events' `objectId`. */
  idField: string;
  createdDateField: string;
  pageSize: number;
  pollDelaySeconds: number;
  createdCheckToleranceSeconds: number;
  filterByUpdatedDate: boolean;
}

export interface EventsConfig {
  enabled: boolean;
  callbackUrl?: string;
  signatureKey?: string;
  refreshIntervalMinutes: number;
  resources: ResourcePoll[];
}

// biome-ignore lint/suspicious/noTemplateCurlyInString: CE's literal date-template syntax, not a JS template
const DATE_TEMPLATE = "${gmtDate:yyyy-MM-dd'T'HH:mm:ss}";
const SN_DATE_FORMAT = 'yyyy-MM-dd HH:mm:ss';

/** The CE-shaped default for `event.poller.configuration`, one entry per default resource. */
export const DEFAULT_POLLER_CONFIGURATION: Record<string, unknown> = Object.fromEntries(
  DEFAULT_EVENT_RESOURCES.map((name) => [
    name,
    {
      url: `/hubs/helpdesk/${name}?where=sys_updated_on>'${DATE_TEMPLATE}'`,
      idField: 'sys_id',
      datesConfiguration: {
        updatedDateField: 'sys_updated_on',
        updatedDateFormat: SN_DATE_FORMAT,
        createdDateField: 'sys_created_on',
        createdDateFormat: SN_DATE_FORMAT,
      },
    },
  ]),
);

const boolish = z.union([
  z.boolean(),
  z.pipe(
    z.enum(['true', 'false']),
    z.transform((v) => v === 'true'),
  ),
]);
const intish = (min: number, max: number) =>
  z.pipe(
    z.union([z.number(), z.pipe(z.string().check(z.regex(/^\s*\d+\s*$/)), z.transform(Number))]),
    z.int().check(z.gte(min), z.lte(max)),
  );
const FIELD = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
/** shared/transformations OBJECT_NAME (not imported: configuration parsing stays free of JSONata). */
const COMMON_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const RESOURCE_NAME = /^[A-Za-z][A-Za-z0-9_]{0,79}$/;
const MAX_RESOURCES = 50;

const resourceSchema = z.looseObject({
  url: z.optional(z.string().check(z.maxLength(2000))),
  idField: z.optional(
    z.pipe(
      z.pipe(
        z.string(),
        z.transform((v: string) => v.replace(/^\$\./, '')),
      ),
      z.string().check(z.regex(FIELD, 'must be a field path like sys_id')),
    ),
  ),
  datesConfiguration: z.optional(
    z.looseObject({
      updatedDateField: z.optional(z.literal('sys_updated_on', 'only sys_updated_on is supported')),
      createdDateField: z.optional(z.string().check(z.regex(FIELD, 'must be a field name'))),
    }),
  ),
  pageSize: z.optional(intish(1, 10_000)),
  pollDelay: z.optional(intish(0, 3600)),
  createdCheckTolerance: z.optional(intish(0, 86_400)),
  filterByUpdatedDate: z.optional(boolish),
  // Spelling used by CE's archived polling doc.
  filterByUpdateDate: z.optional(boolish),
});

type ResourceInput = z.infer<typeof resourceSchema>;

const keyError = (key: string, message: string) => new InvalidInputError(`Invalid ${key}: ${message}`);

/** Resource and date-template `where` of a CE poller url (see the module comment for what is refused). */
const parseUrl = (url: string, where: string): { resource: string } => {
  let parsed: URL;
  try {
    parsed = new URL(url, 'http://placeholder.invalid');
  } catch {
    throw keyError(where, 'url is not a URL');
  }
  const segments = parsed.pathname.split('/').filter((s) => s !== '');
  const resource = segments.at(-1);
  if (resource === undefined) throw keyError(where, 'url names no resource');
  const condition = parsed.searchParams.get('where')?.trim();
  if (condition !== undefined && condition !== '') {
    // One comparison of the updated date against a template or a literal date, nothing else.
    if (!/^sys_updated_on\s*>=?\s*'[^']*(\$\{[^}]*\}[^']*)?'$/.test(condition.replace(/'T'/g, 'T'))) {
      throw keyError(
        where,
        'url where clause may only compare sys_updated_on with a date template; other conditions are not supported',
      );
    }
  }
  return { resource: decodeURIComponent(resource) };
};

const resourcePoll = (name: string, input: ResourceInput): ResourcePoll => {
  const where = `${EVENT_KEYS.pollerConfiguration} (${name})`;
  const target = input.url === undefined ? name : parseUrl(input.url, where).resource;
  let resolved: ReturnType<typeof resolveResource>;
  let commonOnly = false;
  try {
    resolved = resolveResource(target);
  } catch {
    // Possibly a common resource (camelCase names are common there); checked when polling.
    if (!COMMON_NAME.test(target)) {
      throw keyError(where, `${JSON.stringify(target.slice(0, 80))} is not a resource or table name`);
    }
    resolved = { table: target };
    commonOnly = true;
  }
  return {
    name,
    ...(target === name ? {} : { resource: target }),
    ...(commonOnly ? { commonOnly: true as const } : {}),
    table: resolved.table,
    ...(resolved.filter === undefined ? {} : { filter: resolved.filter }),
    idField: input.idField ?? 'sys_id',
    createdDateField: input.datesConfiguration?.createdDateField ?? 'sys_created_on',
    pageSize: input.pageSize ?? DEFAULT_EVENT_PAGE_SIZE,
    pollDelaySeconds: input.pollDelay ?? 0,
    createdCheckToleranceSeconds: input.createdCheckTolerance ?? 0,
    filterByUpdatedDate: input.filterByUpdatedDate ?? input.filterByUpdateDate ?? true,
  };
};

/** The hub resource (or common resource) a poll entry reads. */
export const resourceOf = (poll: Pick<ResourcePoll, 'name' | 'resource'>): string =>
  poll.resource ?? poll.name;

const issueText = (error: z.core.$ZodError): string =>
  error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join('.') || 'value'} ${issue.message}`)
    .join('; ');

const parsePollerConfiguration = (value: unknown): ResourcePoll[] => {
  const key = EVENT_KEYS.pollerConfiguration;
  let object: unknown = value;
  if (typeof value === 'string') {
    if (value.trim() === '') object = {};
    else {
      if (jsonNestsDeeperThan(value, MAX_JSON_DEPTH)) {
        throw keyError(key, `nests deeper than ${MAX_JSON_DEPTH} levels`);
      }
      try {
        object = JSON.parse(value);
      } catch {
        throw keyError(key, 'not valid JSON');
      }
    }
  }
  if (object === undefined || object === null) object = {};
  if (typeof object !== 'object' || Array.isArray(object)) throw keyError(key, 'must be a JSON object');
  const entries = Object.entries(object as Record<string, unknown>);
  // An empty object is the stored default: poll every default resource.
  const effective = entries.length === 0 ? Object.entries(DEFAULT_POLLER_CONFIGURATION) : entries;
  if (effective.length > MAX_RESOURCES) throw keyError(key, `at most ${MAX_RESOURCES} resources`);
  return effective.map(([name, entry]) => {
    if (!RESOURCE_NAME.test(name)) {
      throw keyError(key, `${JSON.stringify(name.slice(0, 80))} is not a valid resource name`);
    }
    const parsed = resourceSchema.safeParse(entry ?? {});
    if (!parsed.success) throw keyError(`${key} (${name})`, issueText(parsed.error));
    return resourcePoll(name, parsed.data);
  });
};

const text = (value: unknown): string | undefined => {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value.trim() === '' ? undefined : value.trim();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
};

/**
 * Parses the event keys of an instance configuration. Throws a 400 naming the offending key. Secret keys
 * (`event.notification.signature.key`) live in the instance secret, so callers merge it in first.
 */
export const parseEventsConfig = (configuration: Record<string, unknown>): EventsConfig => {
  const enabledText = text(configuration[EVENT_KEYS.enabled]) ?? 'false';
  if (enabledText !== 'true' && enabledText !== 'false') {
    throw keyError(EVENT_KEYS.enabled, 'must be true or false');
  }
  const enabled = enabledText === 'true';

  const intervalText = text(configuration[EVENT_KEYS.refreshInterval]);
  const interval = intish(1, 24 * 60).safeParse(intervalText ?? DEFAULT_REFRESH_INTERVAL_MINUTES);
  if (!interval.success)
    throw keyError(EVENT_KEYS.refreshInterval, 'must be a whole number of minutes from 1 to 1440');

  const callbackUrl = text(configuration[EVENT_KEYS.callbackUrl]);
  if (callbackUrl !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(callbackUrl);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
      throw keyError(EVENT_KEYS.callbackUrl, 'must be an http(s) URL');
    }
  } else if (enabled) {
    throw new InvalidInputError(`${EVENT_KEYS.callbackUrl} is required when ${EVENT_KEYS.enabled} is true`);
  }

  const raw = configuration[EVENT_KEYS.pollerConfiguration];
  // Not trimmed: the key is an HMAC secret and must match the consumer's byte for byte.
  const rawKey = configuration[EVENT_KEYS.signatureKey];
  const signatureKey = typeof rawKey === 'string' && rawKey !== '' ? rawKey : undefined;
  return {
    enabled,
    ...(callbackUrl === undefined ? {} : { callbackUrl }),
    ...(signatureKey === undefined ? {} : { signatureKey }),
    refreshIntervalMinutes: interval.data,
    resources: parsePollerConfiguration(raw),
  };
};
