/**
 * The OpenAPI 3.1 document of the API, generated from the route table and the zod schemas the handlers
 * validate with. No Lambda types: the instances function
 * serves it, tests validate it.
 */
export {
  buildOpenApiDocument,
  cachedElementDocument,
  type DocumentedCommonResource,
  type DocumentOptions,
  type InstanceSummary,
  instanceDocument,
  operationIdOf,
  SECURITY_SCHEMES,
} from './document';
export { describeOperation, OPERATIONS, type OperationDescription } from './operations';
export { LIST_PARAMETERS, QUERY_PARAMETERS } from './parameters';
export { ERROR_RESPONSES, ERROR_STATUSES, type ErrorStatus, REQUEST_ID_HEADER } from './responses';
export { componentSchemas, elementConfigurationSchema, requestSchemaOf } from './schemas';
export type { DocumentedRoute, JsonSchema, OpenApiDocument, OperationObject, RouteAuthKind } from './types';
