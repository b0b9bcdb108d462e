export {
  ACCESS_LOG_FORMAT,
  ApiConstruct,
  type ApiConstructProps,
  DEFAULT_THROTTLE,
  PUBLIC_ROUTE_JUSTIFICATIONS,
  type RouteAuthorizers,
  routeKeyOf,
} from './api';
export {
  ElementFunction,
  type ElementFunctionProps,
  type ElementLogLevel,
} from './element-function';
export { Foundation, type FoundationProps } from './foundation';
export { PLATFORM_SECRET_LENGTH, PlatformSecrets, type PlatformSecretsProps } from './secrets';
export { STATE_TABLE_SCHEMA, StateTable, type StateTableProps } from './state';
