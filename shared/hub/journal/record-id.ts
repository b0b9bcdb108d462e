import { NotFoundError } from '../../errors';

/**
 * A record id goes into encoded queries (`element_id=<id>`, `table_sys_id=<id>`), so it must not carry
 * `^`, `=` or anything else with a meaning there. ServiceNow sys_ids are 32 hex
 * characters; anything else cannot name a record, hence 404.
 */
const RECORD_ID = /^[A-Za-z0-9]{1,64}$/;

export const assertRecordId = (id: string | undefined, what = 'record'): string => {
  if (id === undefined || !RECORD_ID.test(id)) {
    throw new NotFoundError(`No such ${what}: ${JSON.stringify((id ?? '').slice(0, 100))}`);
  }
  return id;
};
