import { jsonBody, schemaRef } from './schemas';
import type { OperationDescription } from './types';

/**
 * The object definition and transformation routes (rules in shared/transformations/service.ts), keyed
 * `METHOD /path` exactly as in functions/routes.ts; bodies are the zod schemas of shared/transformations.
 */
const definitionBody = schemaRef('DefinitionBody');
const transformationBody = schemaRef('TransformationBody');
const definition = schemaRef('Definition');
const definitionMap = schemaRef('DefinitionMap');
const transformation = schemaRef('Transformation');
const transformationMap = schemaRef('TransformationMap');

const DEFINITION_RULES =
  'Fields: `path` (dot notation for nesting) and `type` (string, number, boolean, date). Create on an existing name -> 409; invalid body -> 400 naming the first problem.';
const TRANSFORMATION_RULES =
  'Maps the common resource onto a ServiceNow table (`vendorName`): `fields[]` with `path`, `type`, `vendorPath` (JSONPath-like: `a.b`, `a[0]`, `a[k=v]`, `a[?(@.k==v)]`), `vendorType`, `mask` (dates, default yyyy-MM-dd HH:mm:ss), `configuration: [{type:"remove", properties:{fromVendor,toVendor}}]`, or a JSONata `expression` (computed, read-only; 100 ms and size limits). Object `configuration`: passThrough, inherit, addToDocumentation. CE\'s JavaScript `script` is refused (400): use `expression`. Every field must be in the object definition visible from this level, with the same type (400).';

type Level = 'organizations' | 'accounts' | 'accounts/{accountId}' | 'instances/{id}';

const who: Record<Level, string> = {
  organizations: 'the organization',
  accounts: "the caller's account",
  'accounts/{accountId}': 'an account (must be the caller; another -> 404)',
  'instances/{id}': 'an instance of the caller (another -> 404)',
};

const definitionOperations = (level: Level): Record<string, OperationDescription> => {
  const base = `/${level}/objects`;
  const at = who[level];
  return {
    [`GET ${base}/definitions`]: {
      tag: 'transformations',
      summary: `List the object definitions of ${at}`,
      response: definitionMap,
    },
    [`GET ${base}/{objectName}/definitions`]: {
      tag: 'transformations',
      summary: `Get an object definition of ${at}`,
      response: definition,
    },
    [`POST ${base}/{objectName}/definitions`]: {
      tag: 'transformations',
      summary: `Define a common resource at the level of ${at}`,
      description: DEFINITION_RULES,
      requestBody: jsonBody(definitionBody),
      response: definition,
    },
    [`PUT ${base}/{objectName}/definitions`]: {
      tag: 'transformations',
      summary: `Replace an object definition of ${at}`,
      description: `${DEFINITION_RULES} Missing -> 404; fields a transformation using it maps can not be dropped or retyped (409).`,
      requestBody: jsonBody(definitionBody),
      response: definition,
    },
    [`DELETE ${base}/{objectName}/definitions`]: {
      tag: 'transformations',
      summary: `Delete an object definition of ${at}`,
      description: 'A definition a transformation relies on (its most specific visible definition) -> 409.',
    },
  };
};

const transformationOperations = (level: Level): Record<string, OperationDescription> => {
  const base =
    level === 'instances/{id}' ? `/${level}/transformations` : `/${level}/elements/{keyOrId}/transformations`;
  const at = who[level];
  return {
    [`GET ${base}`]: {
      tag: 'transformations',
      summary: `List the transformations of ${at}`,
      response: transformationMap,
    },
    [`GET ${base}/{objectName}`]: {
      tag: 'transformations',
      summary: `Get a transformation of ${at}`,
      response: transformation,
    },
    [`POST ${base}/{objectName}`]: {
      tag: 'transformations',
      summary: `Map a common resource at the level of ${at}`,
      description: `${TRANSFORMATION_RULES} Existing -> 409.`,
      requestBody: jsonBody(transformationBody),
      response: transformation,
    },
    [`PUT ${base}/{objectName}`]: {
      tag: 'transformations',
      summary: `Replace a transformation of ${at}`,
      description: `${TRANSFORMATION_RULES} Missing -> 404.`,
      requestBody: jsonBody(transformationBody),
      response: transformation,
    },
    [`DELETE ${base}/{objectName}`]: {
      tag: 'transformations',
      summary: `Delete a transformation of ${at}`,
    },
  };
};

export const TRANSFORMATION_OPERATIONS: Record<string, OperationDescription> = {
  ...definitionOperations('organizations'),
  'POST /organizations/objects/definitions': {
    tag: 'transformations',
    summary: 'Define several common resources of the organization at once',
    description: `Body \`{ "<objectName>": { "fields": [...] } }\`; all are checked before any is stored (one taken -> 409). ${DEFINITION_RULES}`,
    requestBody: jsonBody({ type: 'object', additionalProperties: definitionBody }),
    response: definitionMap,
  },
  'PATCH /organizations/objects/{objectName}': {
    tag: 'transformations',
    summary: 'Rename a common resource',
    description:
      'Body `{ "objectName": "<new name>" }`: moves the definitions and transformations of that name at every level; a new name already in use -> 409.',
    requestBody: jsonBody(schemaRef('RenameBody')),
    response: definition,
  },
  ...definitionOperations('accounts'),
  ...definitionOperations('accounts/{accountId}'),
  ...definitionOperations('instances/{id}'),
  ...transformationOperations('organizations'),
  ...transformationOperations('accounts/{accountId}'),
  ...transformationOperations('instances/{id}'),
};
