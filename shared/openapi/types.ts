/**
 * The slice of OpenAPI 3.1 this project writes (https://spec.openapis.org/oas/v3.1.0). Schemas are
 * JSON Schema 2020-12 objects, kept loose on purpose: they come from zod's `z.toJSONSchema()` or are
 * written by hand in schemas.ts.
 */
export type JsonSchema = Record<string, unknown>;

export type RouteAuthKind = 'none' | 'platform' | 'hub';

/** What the generator needs of a route (functions/routes.ts RouteDefinition fits it); no Lambda types. */
export interface DocumentedRoute {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Below the base path, API Gateway syntax: `/instances/{id}`. */
  path: string;
  auth: RouteAuthKind;
}

export interface Reference {
  $ref: string;
}

export interface HeaderObject {
  description: string;
  schema: JsonSchema;
}

export interface MediaType {
  schema: JsonSchema;
  example?: unknown;
}

export interface ResponseObject {
  description: string;
  headers?: Record<string, HeaderObject | Reference>;
  content?: Record<string, MediaType>;
}

export interface ParameterObject {
  name: string;
  in: 'path' | 'query' | 'header';
  description: string;
  required?: boolean;
  schema: JsonSchema;
}

export interface RequestBodyObject {
  description?: string;
  required: boolean;
  content: Record<string, MediaType>;
}

export interface OperationObject {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  parameters?: (ParameterObject | Reference)[];
  requestBody?: RequestBodyObject;
  responses: Record<string, ResponseObject | Reference>;
  security: Record<string, string[]>[];
  'x-element-auth': RouteAuthKind;
}

export type PathItem = Partial<Record<'get' | 'head' | 'post' | 'put' | 'patch' | 'delete', OperationObject>>;

export interface ServerObject {
  url: string;
  description?: string;
}

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: {
    title: string;
    version: string;
    description: string;
    license: { name: string; identifier: string };
    'x-element-id'?: number;
    'x-element-key': string;
    'x-element-hub': string;
    'x-element-instance-id'?: number;
    'x-element-instance-name'?: string;
  };
  jsonSchemaDialect: string;
  servers: ServerObject[];
  tags: { name: string; description: string }[];
  paths: Record<string, PathItem>;
  components: {
    schemas: Record<string, JsonSchema>;
    responses: Record<string, ResponseObject>;
    parameters: Record<string, ParameterObject>;
    headers: Record<string, HeaderObject>;
    securitySchemes: Record<string, { type: 'apiKey'; in: 'header'; name: string; description: string }>;
  };
}
