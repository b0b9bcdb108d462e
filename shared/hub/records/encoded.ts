/** Small encoded-query builders. */

/** Conditions joined by `^`, empty parts dropped. */
export const and = (...parts: (string | undefined)[]): string =>
  parts.filter((part): part is string => part !== undefined && part !== '').join('^');

/**
 * ANDs `condition` into EVERY `^NQ` group of `query`: `a^NQb` AND c is `a^c^NQb^c` (an `^NQ` starts a new
 * top-level OR group, B.1, so appending once would constrain only the last group and widen the result).
 * Safe to split on `^NQ`: CEQL values never carry `^` (shared/ceql refuses them).
 */
export const andEveryGroup = (query: string, condition: string | undefined): string => {
  if (condition === undefined || condition === '') return query;
  if (query === '') return condition;
  return query
    .split('^NQ')
    .map((group) => and(group, condition))
    .join('^NQ');
};
