import { Construct } from 'constructs';
import { MAX_ATTACHMENT_BYTES } from '../../shared/hub/attachments/limits';
import type { ElementFunction } from './element-function';
import type { Foundation } from './foundation';
import { grantInstanceData, INSTANCE_SECRET_ACTIONS } from './instances';

/**
 * Payload limits every hub route lives with (documented, not configurable):
 * - API Gateway HTTP API: request bodies up to 10 MB, integration timeout 30 s;
 * - Lambda synchronous invocation: 6 MB request and 6 MB response payload. Binary bodies travel base64
 *   encoded inside the JSON event/result (+33 %), so a file above roughly 4.5 MB cannot pass either way.
 * What the hub does about it, deliberately: an attachment upload or download over MAX_ATTACHMENT_BYTES
 * (4 MiB, shared/hub/attachments/limits.ts: 5.6 MB once base64-encoded, room left for multipart framing
 * and headers) is refused by the function itself with 413 and a message naming the limit, instead of AWS
 * cutting it off with an opaque 413/502; local mode enforces the same limit. The OpenAPI document says so
 * on both routes. A presigned S3
 * path (ServiceNow -> S3 multipart -> presigned GET, and presigned PUT -> S3 -> ServiceNow for uploads)
 * comes with the bulk capability, which owns the bucket; response streaming is not used because HTTP APIs
 * do not support Lambda response streaming.
 */
export const HUB_PAYLOAD_LIMITS = {
  httpApiRequestBytes: 10 * 1024 * 1024,
  lambdaSyncPayloadBytes: 6 * 1024 * 1024,
  /** The largest attachment the hub moves in either direction (the functions enforce it). */
  attachmentBytes: MAX_ATTACHMENT_BYTES,
} as const;

export interface HubConstructProps {
  foundation: Foundation;
  /** The hub function (functions/hub/handler.ts, every route with auth 'hub'). */
  hubFunction: ElementFunction;
}

/**
 * The "hub" capability: the grants and configuration of the hub function, and nothing else.
 * - state table items (the instance record it re-checks on every call: deleted -> 401, disabled -> 403);
 * - instance secrets: GetSecretValue (credentials) and PutSecretValue (refreshed OAuth tokens) only,
 *   never create, delete or restore (provisioning is the instances capability's);
 * - the stack's KMS key, which encrypts the table and the secrets.
 *
 * Why ONE hub Lambda for every hub route (records, journal, attachments, metadata, both prefixes) rather
 * than one per resource group: cold starts. Lambda keeps a warm pool per function; one function means
 * every hub call warms the same pool, so a client walking incidents -> comments -> attachments hits warm
 * containers, while N functions would each pay their own cold starts at N times the idle cost. Splitting
 * would not make the bundles smaller either (`npm run bench -- bundles` shows the sizes): the shared
 * dependencies (HTTP client, zod, the SDK clients of its two ports) are most of the bundle and the hub
 * route code a small part, which a per-resource function would still carry. Revisit if one route family
 * ever needs different memory, timeout or concurrency.
 */
export class HubConstruct extends Construct {
  constructor(scope: Construct, id: string, props: HubConstructProps) {
    super(scope, id);
    grantInstanceData(props.hubFunction, props.foundation, INSTANCE_SECRET_ACTIONS.hub);
  }
}
