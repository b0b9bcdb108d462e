/**
 * The configuration keys an instance of a ServiceNow element accepts, as CE
 * documents them. Values are strings on the wire (CE returns
 * `"true"`, `"15"` even when booleans or numbers were posted).
 */
export type ParameterType = 'string' | 'boolean' | 'integer' | 'json' | 'url';

export interface ConfigurationParameter {
  key: string;
  /** Human label (CE UI). */
  name: string;
  type: ParameterType;
  /** Required when creating an instance (for OAuth: see `grants`). */
  required: boolean;
  /** Filled in when not given. */
  defaultValue?: string;
  /** Never returned (masked `********`), stored only in the secret store. */
  secret: boolean;
  /** Used to authenticate against ServiceNow: changing it re-validates the credentials. */
  credential: boolean;
  description: string;
}

const p = (
  key: string,
  name: string,
  type: ParameterType,
  extra: Partial<ConfigurationParameter> & { description: string },
): ConfigurationParameter => ({
  key,
  name,
  type,
  required: false,
  secret: false,
  credential: false,
  ...extra,
});

export const SUBDOMAIN_KEY = 'servicenow.subdomain';

export const MAX_CONCURRENCY_KEY = 'servicenow.max_concurrency';
export const DEFAULT_MAX_CONCURRENCY = 4;
export const MAX_MAX_CONCURRENCY = 32;

/** The instance's request limit: its configured value when a whole number in range, else the default. */
export const maxConcurrencyOf = (configuration: Readonly<Record<string, string | undefined>>): number => {
  const value = Number(configuration[MAX_CONCURRENCY_KEY]);
  return Number.isInteger(value) && value >= 1 && value <= MAX_MAX_CONCURRENCY
    ? value
    : DEFAULT_MAX_CONCURRENCY;
};

/** The ServiceNow instance, shared by both elements. */
const subdomain = p(SUBDOMAIN_KEY, 'The ServiceNow Subdomain', 'string', {
  required: true,
  credential: true,
  description: 'Instance sub-domain (dev12345 for https://dev12345.service-now.com) or the full https URL',
});

/** Keys stored for the events and bulk capabilities, same for both elements. */
const commonKeys: ConfigurationParameter[] = [
  p('filter.response.nulls', 'Filter null values from the response', 'boolean', {
    defaultValue: 'true',
    description: 'Remove fields whose value is null from hub responses',
  }),
  p('event.notification.enabled', 'Events Enabled', 'boolean', {
    defaultValue: 'false',
    description: 'Poll ServiceNow for changes and send events',
  }),
  p('event.vendor.type', 'Event type', 'string', {
    defaultValue: 'polling',
    description: 'ServiceNow supports polling only',
  }),
  p('event.notification.callback.url', 'Event Notification Callback URL', 'url', {
    description: 'Where events are POSTed',
  }),
  p('event.notification.signature.key', 'Callback Notification Signature Key', 'string', {
    secret: true,
    description: 'HMAC key for Elements-Webhook-Signature',
  }),
  p('event.poller.refresh_interval', 'Event poller refresh interval (mins)', 'integer', {
    defaultValue: '15',
    description: 'How often the poller checks for changes, in minutes',
  }),
  p('event.poller.configuration', 'Configure Polling', 'json', {
    defaultValue: '{}',
    description: 'Poller configuration per resource (JSON object: {"incidents": {}, ...})',
  }),
  p('pagination.type', 'Pagination type', 'string', {
    defaultValue: 'offset',
    description: 'CE paging mode',
  }),
  p('pagination.max', 'Maximum page size', 'integer', {
    defaultValue: '200',
    description: 'Largest page a hub list call returns',
  }),
  p(MAX_CONCURRENCY_KEY, 'Maximum concurrent ServiceNow requests', 'integer', {
    defaultValue: String(DEFAULT_MAX_CONCURRENCY),
    description: `Most requests sent to ServiceNow at once for this instance (1-${MAX_MAX_CONCURRENCY}), across hub calls, bulk jobs and the events poller in every process; a 429 from ServiceNow halves it for a minute`,
  }),
  p('bulk.add_metadata', 'Bulk add metadata', 'boolean', {
    defaultValue: 'false',
    description: 'Bulk option',
  }),
  p('bulk.query.field_name', 'Bulk query field', 'string', {
    defaultValue: 'sys_updated_on',
    description: 'Field bulk downloads filter on',
  }),
  p('bulk.query.operator', 'Bulk query operator', 'string', {
    defaultValue: '>=',
    description: 'Operator for the bulk date filter',
  }),
  p('bulk.query.date_mask', 'Bulk query date mask', 'string', {
    defaultValue: 'yyyy/MM/dd HH:mm:ss',
    description: 'Date format of the bulk filter',
  }),
  p('bulk.attribute.created_time', 'Bulk created-time attribute', 'string', {
    defaultValue: 'sys_created_on',
    description: 'Field holding the creation time',
  }),
  p('bulk.query.download_format', 'Bulk download format', 'string', {
    defaultValue: 'json',
    description: 'Default bulk download format',
  }),
  p('bulk.relations', 'Bulk relations', 'json', { defaultValue: '{}', description: 'Bulk relations (JSON)' }),
];

export const BASIC_PARAMETERS: readonly ConfigurationParameter[] = [
  p('username', 'Username', 'string', {
    required: true,
    credential: true,
    description: 'ServiceNow user name',
  }),
  p('password', 'Password', 'string', {
    required: true,
    secret: true,
    credential: true,
    description: 'ServiceNow password',
  }),
  subdomain,
  ...commonKeys,
];

export const OAUTH_PARAMETERS: readonly ConfigurationParameter[] = [
  p('oauth.api.key', 'OAuth API Key (Client ID)', 'string', {
    required: true,
    secret: true,
    credential: true,
    description: 'Client ID of the ServiceNow Application Registry entry',
  }),
  p('oauth.api.secret', 'OAuth API Secret (Client Secret)', 'string', {
    required: true,
    secret: true,
    credential: true,
    description: 'Client Secret of the ServiceNow Application Registry entry',
  }),
  p('oauth.callback.url', 'OAuth Callback URL', 'url', {
    credential: true,
    description:
      'Redirect URL of the registry entry; required with providerData.code (authorization_code grant)',
  }),
  p('username', 'Username', 'string', {
    credential: true,
    description: 'ServiceNow user name, for the password grant',
  }),
  p('password', 'Password', 'string', {
    secret: true,
    credential: true,
    description: 'ServiceNow password, for the password grant',
  }),
  subdomain,
  ...commonKeys,
];

/** Computed, read-only keys that appear in responses but cannot be set. */
export const BASE_URL_KEY = 'base.url';
