import { InvalidInputError, NotFoundError } from '../../errors';
import type { ResolvedResource } from '../../resources';
import type { SnRecord, TableParams } from '../../servicenow';
import { catalogFor, checkedFields, tableMetadata } from './catalog';
import type { RecordsMapping } from './common';
import type { RecordsContext, RecordsResponse } from './context';
import { and } from './encoded';
import type { DisplayValues } from './list-params';
import { toHubRecord } from './shape';

/** Record ids ServiceNow accepts in a path (the client checks the same); never carries `^` or `=`. */
const RECORD_ID = /^[A-Za-z0-9_.-]{1,64}$/;

const checkedId = (id: string): string => {
  if (!RECORD_ID.test(id)) throw new NotFoundError(`No such record: ${JSON.stringify(id.slice(0, 100))}`);
  return id;
};

const noRecord = (resource: ResolvedResource, id: string) =>
  new NotFoundError(`No ${resource.resource ?? resource.table} record with id ${id}`, {
    providerMessage: "No Record found: Record doesn't exist or ACL restricts the record retrieval",
  });

/**
 * The body of POST/PATCH/PUT: a JSON object of ServiceNow fields. An array (ServiceNow would create
 * nothing sensible) or a scalar is a 400. `id` is dropped: it is ours (= sys_id), not a column, so a
 * record read from the hub can be sent back as is.
 */
const recordBody = (body: unknown): SnRecord => {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidInputError('The request body must be a JSON object of record fields');
  }
  const { id: _ignored, ...fields } = body as Record<string, unknown>;
  return fields;
};

/** A common resource's body goes through its transformation (`toVendor`, 400 naming a bad value). */
const vendorBody = (body: unknown, mapping: RecordsMapping | undefined): SnRecord => {
  const fields = recordBody(body);
  return mapping ? mapping.write(fields) : fields;
};

const WRITE_PARAMS: TableParams = { excludeReferenceLink: true };

/**
 * For a resource that is a slice of its table (agents), the record must be in the slice: one list call
 * `sys_id=X^<filter>` instead of a plain GET, so `/agents/{id}` of a user without the role is a 404.
 */
const assertInSlice = async (ctx: RecordsContext, resource: ResolvedResource, id: string) => {
  if (resource.filter === undefined) return;
  const page = await ctx.client.list(resource.table, {
    query: and(`sys_id=${id}`, resource.filter),
    fields: ['sys_id'],
    limit: 1,
    noCount: true,
  });
  if (page.records.length === 0) throw noRecord(resource, id);
};

export interface GetOptions {
  fields?: string[];
  displayValues?: DisplayValues;
}

export const getRecord = async (
  ctx: RecordsContext,
  resource: ResolvedResource,
  rawId: string,
  options: GetOptions = {},
  mapping?: RecordsMapping,
): Promise<RecordsResponse> => {
  const id = checkedId(rawId);
  const metadata = await tableMetadata(ctx, resource.table);
  const requested = mapping && options.fields !== undefined ? mapping.fields(options.fields) : options.fields;
  const fields = checkedFields(requested, await catalogFor(ctx, metadata, requested ?? []));
  const params: TableParams = {
    excludeReferenceLink: true,
    ...(fields === undefined ? {} : { fields }),
    ...(options.displayValues === undefined ? {} : { displayValue: options.displayValues }),
  };
  let record: SnRecord;
  if (resource.filter === undefined) {
    record = await ctx.client.get(resource.table, id, params);
  } else {
    const page = await ctx.client.list(resource.table, {
      ...params,
      query: and(`sys_id=${id}`, resource.filter),
      limit: 1,
      noCount: true,
    });
    const found = page.records[0];
    if (found === undefined) throw noRecord(resource, id);
    record = found;
  }
  return { status: 200, body: await shaped(ctx, record, mapping, options.fields), headers: {} };
};

/** The hub row of a ServiceNow record, mapped to the common resource when there is one. */
const shaped = async (
  ctx: RecordsContext,
  record: SnRecord,
  mapping: RecordsMapping | undefined,
  fields?: readonly string[],
): Promise<unknown> => {
  const row = toHubRecord(record, ctx.filterNulls);
  return mapping ? (await mapping.read([row], fields))[0] : row;
};

export const createRecord = async (
  ctx: RecordsContext,
  resource: ResolvedResource,
  body: unknown,
  mapping?: RecordsMapping,
): Promise<RecordsResponse> => {
  const fields = vendorBody(body, mapping);
  await tableMetadata(ctx, resource.table);
  const created = await ctx.client.create(resource.table, fields, WRITE_PARAMS);
  return { status: 200, body: await shaped(ctx, created, mapping), headers: {} };
};

/** PATCH (`replace: false`) or PUT (`replace: true`; ServiceNow treats PUT as a partial update too, A.1). */
export const updateRecord = async (
  ctx: RecordsContext,
  resource: ResolvedResource,
  rawId: string,
  body: unknown,
  replace: boolean,
  mapping?: RecordsMapping,
): Promise<RecordsResponse> => {
  const id = checkedId(rawId);
  const fields = vendorBody(body, mapping);
  await tableMetadata(ctx, resource.table);
  await assertInSlice(ctx, resource, id);
  const updated = replace
    ? await ctx.client.replace(resource.table, id, fields, WRITE_PARAMS)
    : await ctx.client.update(resource.table, id, fields, WRITE_PARAMS);
  return { status: 200, body: await shaped(ctx, updated, mapping), headers: {} };
};

/** DELETE answers 200 `{}` (CE's delete calls answer 200), ServiceNow's 204 stays internal. */
export const deleteRecord = async (
  ctx: RecordsContext,
  resource: ResolvedResource,
  rawId: string,
): Promise<RecordsResponse> => {
  const id = checkedId(rawId);
  await tableMetadata(ctx, resource.table);
  await assertInSlice(ctx, resource, id);
  await ctx.client.delete(resource.table, id);
  return { status: 200, body: {}, headers: {} };
};
