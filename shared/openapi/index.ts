/**
 * The OpenAPI 3.1 document of the API, generated from the route table (functions/routes.ts) and the
 * zod schemas the handlers validate requests with and shape answers by. No Lambda types: the instances
 * function serves it, tests validate it and validate real responses against it.
 *
 * Adding an operation:
 * 1. Add the route to functions/routes.ts (it appears in the document at once, with a generic entry).
 * 2. Describe it in operations.ts (or operations-bulk.ts / operations-transformations.ts), keyed
 *    `METHOD /path` (hub routes without `/hubs/helpdesk`): summary, tag, `response: schemaRef(..)`,
 *    `requestBody`, `query`, `paged`, and `otherResponses` for any status besides the success and
 *    the error table every operation has (responses.ts).
 * 3. A new body shape is a zod schema beside the capability's request schemas (`response-schemas.ts`,
 *    `schemas.ts`), registered by name in RESPONSE_SCHEMAS or REQUEST_SCHEMAS of schemas.ts; the view
 *    returns `z.infer` of it so the code and the document cannot drift apart.
 * test/openapi/responses.test.ts then checks real answers of the route against the document.
 */
export { buildOpenApiDocument, cachedElementDocument, instanceDocument, SECURITY_SCHEMES } from './document';
export { OPERATIONS } from './operations';
export { ERROR_STATUSES } from './responses';
export type { OpenApiDocument, OperationObject } from './types';
