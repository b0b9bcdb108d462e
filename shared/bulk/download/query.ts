import { InvalidInputError } from '../../errors';

/** An optional sys_id range of one parallel partition: `from` inclusive, `to` exclusive. */
export interface SysIdRange {
  from?: string;
  to?: string;
}

const SYS_ID = /^[A-Za-z0-9_.-]+$/;

const bound = (value: string | undefined, name: string) => {
  if (value !== undefined && !SYS_ID.test(value)) throw new InvalidInputError(`Invalid ${name} sys_id bound`);
  return value;
};

/**
 * The sys_id keyset query of a download page: `sys_id>X` (and the partition range)
 * ANDed into EVERY `^NQ` group of the filter, because `^NQ` starts a new top-level OR group and a
 * condition in the first group only would not bound the others, then `ORDERBYsys_id`.
 * Only sys_id is used as the key, so rows sharing one `sys_updated_on` second cannot be skipped or
 * repeated (sys_id is unique); the cost is that the download is a snapshot ordered by id, not by time.
 * The filter must not carry its own ORDERBY (it would fight the keyset order); `^EQ` is dropped.
 */
export function keysetQuery(filter: string, afterSysId: string | undefined, range: SysIdRange = {}): string {
  const trimmed = filter
    .trim()
    .replace(/\^EQ$/, '')
    .replace(/^\^+|\^+$/g, '');
  if (/(^|\^)ORDERBY/.test(trimmed))
    throw new InvalidInputError('A bulk download query must not contain ORDERBY');
  const keys = [
    bound(afterSysId, 'cursor') === undefined ? '' : `sys_id>${afterSysId}`,
    bound(range.from, 'partition') === undefined ? '' : `sys_id>=${range.from}`,
    bound(range.to, 'partition') === undefined ? '' : `sys_id<${range.to}`,
  ].filter((key) => key !== '');
  // `^NQ` splits top-level groups; an escaped caret is `^^`, so `^^NQ` is not a separator.
  const groups = trimmed === '' ? [''] : trimmed.split(/(?<!\^)\^NQ/);
  const bounded = groups.map((group) => [...keys, group].filter((part) => part !== '').join('^'));
  return [bounded.join('^NQ'), 'ORDERBYsys_id'].filter((part) => part !== '').join('^');
}
