import { NotFoundError } from '../../errors';
import type { ServiceNowClient, SnRecord, TableParams } from '../../servicenow';

export interface RecordRef {
  table: string;
  id: string;
  /** The resource's encoded filter (e.g. agents: `roles=itil`), so a record outside it is 404. */
  filter?: string;
}

/**
 * Reads one record through a list query `sys_id=<id>^<filter>`, so resources that are a slice of a
 * table and ACL-hidden rows both answer 404 like a missing record.
 */
export const readRecord = async (
  client: ServiceNowClient,
  ref: RecordRef,
  params: Omit<TableParams, 'query' | 'limit'> = {},
): Promise<SnRecord> => {
  const query = [`sys_id=${ref.id}`, ref.filter ?? ''].filter((p) => p !== '').join('^');
  const { records } = await client.list(ref.table, { ...params, query, limit: 1, noCount: true });
  const record = records[0];
  if (record === undefined) throw new NotFoundError(`No ${ref.table} record with id ${ref.id}`);
  return record;
};
