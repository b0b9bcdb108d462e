import { parseAuthorizationHeader } from '../../auth/authorization-header';
import { InvalidInputError, UnauthorizedError } from '../../errors';
import { NEXT_PAGE_TOKEN_HEADER } from '../headers';
import { type PageTokenScope, pageTokenKey, signPageToken, verifyPageToken } from '../page-token';
import { type ListParams, parseListParams } from '../records/list-params';

/**
 * Paging of a record's child lists (comments, work notes, attachments) with the same parameters and
 * headers as record lists: `page`/`pageSize`, or
 * `nextPage` — an offset cursor signed like CORE's record tokens (shared/hub/page-token.ts), bound to
 * the instance and the child list it was issued for. Offsets, not keysets: these lists are short and
 * ordered by creation time, which keyset on sys_id cannot follow.
 */
export interface ChildPaging {
  params: ListParams;
  offset: number;
  limit: number;
  /** `Elements-Next-Page-Token` for the page after this one (when ServiceNow says there is one). */
  nextPageHeaders(hasNext: boolean): Record<string, string>;
}

export interface ChildPagingInput {
  query: URLSearchParams;
  /** The request's Authorization header (already verified by the authorizer); the token key derives from it. */
  authorization: string | undefined;
  scope: PageTokenScope;
}

export const childPaging = (input: ChildPagingInput): ChildPaging => {
  const params = parseListParams(input.query);
  let key: Buffer | undefined;
  const keyOf = () => {
    if (key) return key;
    const token = parseAuthorizationHeader(input.authorization)?.element;
    if (token === undefined) throw new UnauthorizedError();
    key = pageTokenKey(token);
    return key;
  };
  let offset = (params.page - 1) * params.pageSize;
  if (params.nextPage !== undefined) {
    const cursor = verifyPageToken(keyOf(), input.scope, params.nextPage);
    if (cursor.kind !== 'offset') throw new InvalidInputError('Invalid nextPage token for this list');
    offset = cursor.offset;
  }
  return {
    params,
    offset,
    limit: params.pageSize,
    nextPageHeaders: (hasNext): Record<string, string> =>
      hasNext
        ? {
            [NEXT_PAGE_TOKEN_HEADER]: signPageToken(keyOf(), input.scope, {
              kind: 'offset',
              offset: offset + params.pageSize,
            }),
          }
        : {},
  };
};
