import type { ParameterObject, Reference } from './types';

/**
 * Query parameters of hub list routes, as
 * `components.parameters`, keyed by name.
 */
export const QUERY_PARAMETERS: Record<string, ParameterObject> = {
  where: {
    name: 'where',
    in: 'query',
    description:
      "CEQL filter, e.g. `priority = '1' AND sys_updated_on >= '2024-01-01T00:00:00Z'`; field names are " +
      'checked against the table metadata (an unknown field is a 400, never a wider result)',
    schema: { type: 'string' },
  },
  pageSize: {
    name: 'pageSize',
    in: 'query',
    description:
      'Records per page; default 200, maximum 5000. A page also ends before 5 MiB of response ' +
      '(wide rows, displayValues=all): fewer records then, and Elements-Next-Page-Token continues after them',
    schema: { type: 'integer', minimum: 1, maximum: 5000, default: 200 },
  },
  page: {
    name: 'page',
    in: 'query',
    description: '1-based page number (offset paging); prefer nextPage for deep paging',
    schema: { type: 'integer', minimum: 1 },
  },
  nextPage: {
    name: 'nextPage',
    in: 'query',
    description: 'The cursor from the Elements-Next-Page-Token response header of the previous page',
    schema: { type: 'string' },
  },
  fields: {
    name: 'fields',
    in: 'query',
    description: 'Comma-separated fields to return (dot-walk allowed, e.g. `caller_id.name`)',
    schema: { type: 'string' },
  },
  orderBy: {
    name: 'orderBy',
    in: 'query',
    description: '`field asc|desc[, field asc|desc...]`',
    schema: { type: 'string' },
  },
  returnTotalCount: {
    name: 'returnTotalCount',
    in: 'query',
    description: 'true: add the Elements-Total-Count header (one extra aggregate call to ServiceNow)',
    schema: { type: 'boolean', default: false },
  },
  status: {
    name: 'status',
    in: 'query',
    description: 'Only events of this delivery status: QUEUED, DELIVERED (or NOTIFIED), FAILED, DEAD',
    schema: { type: 'string', enum: ['QUEUED', 'DELIVERED', 'NOTIFIED', 'FAILED', 'DEAD'] },
  },
  eventsPageSize: {
    name: 'pageSize',
    in: 'query',
    description: 'Events per page; default 50, maximum 200',
    schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
  },
  displayValues: {
    name: 'displayValues',
    in: 'query',
    description:
      "ServiceNow's sysparm_display_value: `true` returns display values, `all` returns {value, display_value} per field",
    schema: { type: 'string', enum: ['false', 'true', 'all'], default: 'false' },
  },
};

export const parameterRef = (name: string): Reference => ({ $ref: `#/components/parameters/${name}` });

/** Parameters of a list call (GET of a collection). */
export const LIST_PARAMETERS = [
  'where',
  'pageSize',
  'page',
  'nextPage',
  'fields',
  'orderBy',
  'returnTotalCount',
  'displayValues',
] as const;

/** Parameters of a read of one record. */
export const READ_PARAMETERS = ['fields', 'displayValues'] as const;

/** Path parameters, described by name. */
const PATH_PARAMETER_DESCRIPTIONS: Record<string, string> = {
  keyOrId: 'Element key (servicenow, servicenowoauth) or numeric id (145, 566)',
  id: 'Instance id (platform routes) or record sys_id (hub routes)',
  configId: 'Configuration key, e.g. filter.response.nulls',
  objectName:
    'A hub resource (incidents, accounts, agents, contacts, problems, changes, users, groups) or a ServiceNow table name',
  attachmentId: 'sys_id of the attachment',
};

export const pathParametersOf = (path: string): ParameterObject[] =>
  [...path.matchAll(/\{([^}]+)\}/g)].map(([, name = '']) => ({
    name,
    in: 'path',
    required: true,
    description: PATH_PARAMETER_DESCRIPTIONS[name] ?? name,
    schema: { type: 'string' },
  }));
