export {
  ALARM_TOPIC_KEY_ACTIONS,
  AlarmsConstruct,
  type AlarmsConstructProps,
  API_SERVER_ERROR_ALARM_SETTINGS,
  FUNCTION_ERROR_ALARM_SETTINGS,
  POLL_LAG_ALARM_SETTINGS,
} from './alarms';
export {
  ACCESS_LOG_FORMAT,
  ApiConstruct,
  type ApiConstructProps,
  DEFAULT_THROTTLE,
  PUBLIC_ROUTE_JUSTIFICATIONS,
  pascalCase,
  type RouteAuthorizers,
  routeKeyOf,
} from './api';
export { AUTHORIZER_IDENTITY_SOURCE, ElementAuthorizer, type ElementAuthorizerProps } from './authorizer';
export {
  BUCKET_NOTIFICATIONS_HANDLER_ID,
  BULK_BUCKET_ACTIONS,
  BULK_BUCKET_SETTINGS,
  BULK_KEY_PREFIXES,
  BULK_QUEUE_KEY_ACTIONS,
  BULK_QUEUE_SETTINGS,
  BULK_SECRET_ACTIONS,
  BulkConstruct,
  type BulkConstructProps,
  S3_NOTIFICATION_KEY_ACTIONS,
} from './bulk';
export {
  CONSOLE_SECRET_ACTIONS,
  ConsoleConstruct,
  type ConsoleConstructProps,
  consoleSecretsPattern,
} from './console';
export {
  applicationMetric,
  DashboardConstruct,
  type DashboardConstructProps,
  type QueuePair,
} from './dashboard';

export {
  ElementFunction,
  type ElementFunctionDefaults,
  type ElementFunctionProps,
  type ElementLogLevel,
  functionDefaults,
} from './element-function';
export {
  EVENTS_QUEUE_SETTINGS,
  EVENTS_SECRET_ACTIONS,
  EventsConstruct,
  type EventsConstructProps,
  POLL_QUEUE_SETTINGS,
} from './events';
export { Foundation, type FoundationProps } from './foundation';
export { HUB_PAYLOAD_LIMITS, HubConstruct, type HubConstructProps } from './hub';
export {
  elementSecretPrefix,
  grantInstanceData,
  grantStateTableData,
  INSTANCE_SECRET_ACTIONS,
  InstancesConstruct,
  type InstancesConstructProps,
  instanceSecretsArn,
  instanceSecretsPattern,
  KEY_ACTIONS,
  STATE_TABLE_ACTIONS,
} from './instances';
export { QUEUE_CONSUME_ACTIONS, QUEUE_SEND_ACTIONS } from './queue-actions';
export { PLATFORM_SECRET_LENGTH, PlatformSecrets, type PlatformSecretsProps } from './secrets';
export { STATE_TABLE_SCHEMA, StateTable, type StateTableProps } from './state';
export { TransformationsConstruct, type TransformationsConstructProps } from './transformations';
