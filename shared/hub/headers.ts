/**
 * Response headers of the hub API. Names as CE spells them;
 * HTTP header names are case-insensitive, clients read them lower-cased.
 */
export const INSTANCE_ID_HEADER = 'Elements-Element-Instance-Id';
/** Records in this page, as a string ("30", then "7"). */
export const RETURNED_COUNT_HEADER = 'Elements-Returned-Count';
/** Total matching rows, only with `returnTotalCount=true`. */
export const TOTAL_COUNT_HEADER = 'Elements-Total-Count';
/** Cursor for `nextPage`; absent on the last page. */
export const NEXT_PAGE_TOKEN_HEADER = 'Elements-Next-Page-Token';

/** Headers of one page of a list: how many it holds, and the cursor of the next one when there is one. */
export const pageHeaders = (returned: number, nextPage?: string): Record<string, string> => ({
  [RETURNED_COUNT_HEADER]: String(returned),
  ...(nextPage === undefined ? {} : { [NEXT_PAGE_TOKEN_HEADER]: nextPage }),
});
