import type { SnRecord } from '../servicenow';
import type { ResourcePoll } from './configuration';
import { parseServiceNowDateTime } from './dates';
import { fieldValue } from './record-fields';

export type EventType = 'CREATED' | 'UPDATED' | 'DELETED';

/**
 * CREATED vs UPDATED for a changed row. `sys_mod_count` is exact: 0 means the
 * row was never updated. Where a table has no mod count, CE's rule applies: created == updated within
 * `createdCheckTolerance` seconds. A row created and then updated before the poll reads as UPDATED,
 * because polling sees states, not transactions.
 */
export const classifyChange = (record: SnRecord, resource: ResourcePoll): 'CREATED' | 'UPDATED' => {
  const mod = fieldValue(record, 'sys_mod_count');
  if (mod !== undefined && /^\d+$/.test(mod)) return mod === '0' ? 'CREATED' : 'UPDATED';
  const created = parseServiceNowDateTime(fieldValue(record, resource.createdDateField) ?? '');
  const updated = parseServiceNowDateTime(fieldValue(record, 'sys_updated_on') ?? '');
  if (created === undefined || updated === undefined) return 'UPDATED';
  return Math.abs(updated - created) <= resource.createdCheckToleranceSeconds * 1000 ? 'CREATED' : 'UPDATED';
};
