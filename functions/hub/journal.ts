import { InvalidInputError, NotFoundError } from '../../shared/errors';
import { RETURNED_COUNT_HEADER } from '../../shared/hub/headers';
import {
  appendJournal,
  assertRecordId,
  childPaging,
  type JournalElement,
  readJournal,
} from '../../shared/hub/journal';
import { commentBodySchema, workNoteBodySchema } from '../../shared/hub/journal/schemas';
import { loadTableMetadata, metadataScope } from '../../shared/hub/metadata';
import { resolveResource } from '../../shared/resources';
import { response } from '../middleware';
import type { HubRequest, HubRouteTable } from './types';

/** The record and journal field a route addresses, after checking the table really has that field. */
const target = async (request: HubRequest, element: JournalElement) => {
  const objectName = request.params.objectName ?? '';
  const resolved = resolveResource(objectName);
  const id = assertRecordId(request.params.id);
  const client = await request.client();
  const metadata = await loadTableMetadata(
    client,
    resolved.table,
    undefined,
    metadataScope(request.instance.id, client),
  );
  // Writing a field the table does not have is silently ignored by ServiceNow.
  const field = metadata.fields.find((f) => f.vendorPath === element && /^journal/.test(f.vendorNativeType));
  if (field === undefined)
    throw new NotFoundError(`${objectName} has no ${element === 'comments' ? 'comments' : 'work notes'}`);
  return { client, id, table: resolved.table, filter: resolved.filter, label: field.label };
};

const list = (element: JournalElement) => async (request: HubRequest) => {
  const t = await target(request, element);
  const paging = childPaging({
    query: request.query,
    authorization: request.event.headers?.authorization,
    scope: {
      instanceId: request.instance.id,
      table: 'sys_journal_field',
      query: `${t.table}:${t.id}:${element}`,
    },
  });
  const result = await readJournal(t.client, {
    table: t.table,
    id: t.id,
    ...(t.filter ? { filter: t.filter } : {}),
    element,
    offset: paging.offset,
    limit: paging.limit,
    label: t.label,
  });
  return response(200, result.entries, {
    [RETURNED_COUNT_HEADER]: String(result.entries.length),
    ...paging.nextPageHeaders(result.hasNext),
  });
};

const append = (element: JournalElement) => async (request: HubRequest) => {
  const schema = element === 'comments' ? commentBodySchema : workNoteBodySchema;
  const parsed = schema.safeParse(request.event.jsonBody);
  if (!parsed.success) {
    throw new InvalidInputError(`Body must be {"${element}": "<non-empty text>"} (or {"value": "<text>"})`);
  }
  const value = 'value' in parsed.data ? parsed.data.value : (Object.values(parsed.data)[0] ?? '');
  const t = await target(request, element);
  const entry = await appendJournal(t.client, {
    table: t.table,
    id: t.id,
    ...(t.filter ? { filter: t.filter } : {}),
    element,
    value,
  });
  return response(200, entry);
};

export const journalRoutes: HubRouteTable = {
  'GET /{objectName}/{id}/comments': list('comments'),
  'POST /{objectName}/{id}/comments': append('comments'),
  'GET /{objectName}/{id}/work-notes': list('work_notes'),
  'POST /{objectName}/{id}/work-notes': append('work_notes'),
};
