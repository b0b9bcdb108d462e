/**
 * Hub records: list with CEQL and paging, get,
 * create, update (PATCH), replace (PUT) and delete on any ServiceNow table or mapped hub resource.
 */
export { catalogFor, checkedFields, fieldsOf, tableMetadata } from './catalog';
export { commonResourceTarget, type RecordsMapping, recordsMapping, recordsTargetOf } from './common';
export type { RecordsContext, RecordsResponse } from './context';
export { createRecord, deleteRecord, type GetOptions, getRecord, updateRecord } from './crud';
export { and, andEveryGroup } from './encoded';
export { listRecords } from './list';
export {
  DEFAULT_PAGE_SIZE,
  type DisplayValues,
  type ListParams,
  MAX_PAGE_SIZE,
  parseDisplayValues,
  parseFields,
  parseGetOptions,
  parseListParams,
} from './list-params';
export { sysIdOf, toHubRecord, toHubRecords } from './shape';
