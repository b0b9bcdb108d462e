/**
 * Element instances: validation, provisioning against
 * ServiceNow, storage (state table + secret store), the response shapes, and the per-instance
 * ServiceNow client used by the hub.
 */
export { checkedBaseUrl, tableBaseUrl } from './base-url';
export { MASK, mergeConfiguration, normalizeConfiguration, withDefaults } from './configuration';
export { elementTokenHash, newElementToken } from './element-token';
export { eventsInstanceAccess, eventsTargetLoader } from './events-access';
export { type Grant, grantFor, requiredKeysFor } from './grants';
export {
  forgetInstanceClient,
  instanceSecretFor,
  reauthorizeError,
  reauthorizeMessage,
  serviceNowClientFor,
} from './instance-client';
export {
  type ConfigurationItem,
  createInstanceService,
  elementFromPath,
  type InstanceService,
  parseInstanceId,
} from './instance-service';
export {
  COUNTER_KEY,
  createInstanceStore,
  type InstanceStore,
  instanceKey,
  instanceSecretName,
  ownerIndexKey,
  type TokenIndexEntry,
  tokenKey,
} from './instance-store';
export { fullConfiguration, type InstanceView, instanceView } from './instance-view';
export { type CallbackLogger, connectCallbackRoute } from './oauth-callback';
export {
  type CallbackQuery,
  CONNECT_TTL_MS,
  ConnectError,
  type ConnectFailure,
  type ConnectStarted,
  completeConnect,
  PENDING_PARTITION,
  PENDING_SECRET_PREFIX,
  STATE_KEY_SECRET,
  startConnect,
} from './oauth-connect';
export { oauthUrlFor } from './oauth-url';
export { type ProvisionInput, provision } from './provisioning';
export { instanceBodySchema, parseInstanceBody } from './request-body';
export { sanitizeTags, sanitizeText } from './sanitize';
export type {
  BasicCredentials,
  InstanceCredentials,
  InstanceDeps,
  InstanceHttpOptions,
  InstanceRecord,
  InstanceSecret,
  OAuthCredentials,
} from './types';
