import { InvalidInputError } from '../../errors';

/** CE's list parameters, parsed and range-checked. */
export interface ListParams {
  where?: string;
  orderBy?: string;
  /** `fields=a,b`; sys_id is always added. */
  fields?: string[];
  pageSize: number;
  /** 1-based; ignored when `nextPage` is given. */
  page: number;
  nextPage?: string;
  returnTotalCount: boolean;
  displayValues?: DisplayValues;
}

/** `displayValues=true|all` -> sysparm_display_value; absent/false -> raw values. */
export type DisplayValues = true | 'all';

export const DEFAULT_PAGE_SIZE = 200;
/**
 * CE's documented maximum. Above it we answer 400 (not CE's "200 with fewer rows and an Elements-Error
 * header"): a caller that asked for 10,000 rows and silently got 5,000 would page wrongly.
 */
export const MAX_PAGE_SIZE = 5000;

const positiveInteger = (name: string, text: string, max?: number): number => {
  if (!/^\d{1,10}$/.test(text.trim())) throw new InvalidInputError(`${name} must be a positive integer`);
  const value = Number(text.trim());
  if (value < 1) throw new InvalidInputError(`${name} must be a positive integer`);
  if (max !== undefined && value > max) throw new InvalidInputError(`${name} must be at most ${max}`);
  return value;
};

export const parseDisplayValues = (text: string | null): DisplayValues | undefined => {
  if (text === null || text === '' || text === 'false') return undefined;
  if (text === 'true') return true;
  if (text === 'all') return 'all';
  throw new InvalidInputError('displayValues must be true, all or false');
};

/** `fields=a, b,c` -> ['a', 'b', 'c'] (validation against metadata happens later). */
export const parseFields = (text: string | null): string[] | undefined => {
  if (text === null || text.trim() === '') return undefined;
  return [...new Set(text.split(',').map((field) => field.trim()))].filter((field) => field !== '');
};

const single = (query: URLSearchParams, name: string): string | null => {
  const values = query.getAll(name);
  if (values.length > 1) throw new InvalidInputError(`${name} may be given only once`);
  return values[0] ?? null;
};

export const parseListParams = (query: URLSearchParams): ListParams => {
  const pageSize = single(query, 'pageSize');
  const page = single(query, 'page');
  const nextPage = single(query, 'nextPage');
  const where = single(query, 'where');
  const orderBy = single(query, 'orderBy');
  const fields = parseFields(single(query, 'fields'));
  const total = single(query, 'returnTotalCount');
  if (total !== null && total !== 'true' && total !== 'false')
    throw new InvalidInputError('returnTotalCount must be true or false');
  const displayValues = parseDisplayValues(single(query, 'displayValues'));
  return {
    pageSize: pageSize === null ? DEFAULT_PAGE_SIZE : positiveInteger('pageSize', pageSize, MAX_PAGE_SIZE),
    page: page === null ? 1 : positiveInteger('page', page),
    returnTotalCount: total === 'true',
    ...(where === null || where.trim() === '' ? {} : { where }),
    ...(orderBy === null || orderBy.trim() === '' ? {} : { orderBy }),
    ...(fields === undefined ? {} : { fields }),
    ...(nextPage === null || nextPage === '' ? {} : { nextPage }),
    ...(displayValues === undefined ? {} : { displayValues }),
  };
};

/** `fields` and `displayValues` of a single-record read. */
export const parseGetOptions = (
  query: URLSearchParams,
): { fields?: string[]; displayValues?: DisplayValues } => {
  const fields = parseFields(query.get('fields'));
  const displayValues = parseDisplayValues(query.get('displayValues'));
  return {
    ...(fields === undefined ? {} : { fields }),
    ...(displayValues === undefined ? {} : { displayValues }),
  };
};
