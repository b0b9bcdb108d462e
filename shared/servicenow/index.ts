/**
 * ServiceNow REST client:
 * `createServiceNowClient` for Table/Aggregate calls with auth, retries, concurrency cap and error
 * mapping; `keysetByUpdated` / `keysetById` / `offsetPage` for paging; token-endpoint functions for
 * the OAuth instance flows; `serviceNowBaseUrl` for `servicenow.subdomain`.
 */
export type { AttachmentContent, AttachmentListParams, AttachmentUpload } from './attachments';
export {
  deleteAttachment,
  downloadAttachment,
  getAttachment,
  listAttachments,
  uploadAttachment,
} from './attachments';
export type { Authorizer, ClientCredentials, OnTokens } from './auth';
export {
  authorizationUrl,
  clientCredentialsGrant,
  DEFAULT_REFRESH_SKEW_MS,
  exchangeAuthorizationCode,
  OAuthTokenProvider,
  passwordGrant,
  refreshAccessToken,
} from './auth';
export { serviceNowBaseUrl } from './base-url';
export type { ServiceNowClient, ServiceNowClientOptions } from './client';
export {
  assertFitsServiceNowUrl,
  createServiceNowClient,
  hasNextLink,
  tablePath,
  tableQuery,
} from './client';
export type { RequestGate } from './concurrency';
export { DEFAULT_CONCURRENCY, Semaphore, SemaphoreRegistry } from './concurrency';
export type { HttpOptions } from './context';
export { DEFAULT_TIMEOUT_MS } from './context';
export { errorFromResponse, HTML_INSTEAD_OF_JSON, providerMessageOf, ServiceNowAuthError } from './errors';
export type { LeaseGateOptions } from './lease-gate';
export { createLeaseGate, leaseKey } from './lease-gate';
export type {
  KeysetByIdOptions,
  KeysetByUpdatedOptions,
  KeysetPage,
  OffsetPageOptions,
  UpdatedCursor,
} from './paging';
export {
  DEFAULT_PAGE_SIZE,
  idQuery,
  keysetById,
  keysetByUpdated,
  offsetPage,
  updatedFirstQuery,
  updatedNextQuery,
} from './paging';
export { DEFAULT_RETRY, fullJitterDelay, parseRetryAfter } from './retry';
export type {
  BasicAuth,
  Clock,
  HttpMethod,
  ListResult,
  OAuthAuth,
  OAuthGrant,
  OAuthTokens,
  RetryPolicy,
  ServiceNowAuth,
  ServiceNowRequest,
  ServiceNowResponse,
  Sleep,
  SnRecord,
  TableParams,
} from './types';
