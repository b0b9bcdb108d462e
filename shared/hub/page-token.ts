import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { InvalidInputError } from '../errors';

/**
 * `nextPage` tokens: opaque to callers, tamper-proof, and
 * bound to the instance, table and query they were issued for.
 *
 * Wire form: `base64url(JSON cursor) . base64url(HMAC-SHA256(key, payload | scope))`. The scope (instance
 * id, table, encoded query with its order) is not in the token, only in the MAC: a token replayed on another
 * query, table or instance fails the MAC exactly like an edited one, and both answer 400.
 *
 * Key: HMAC-SHA256 of the instance's element token (taken from the already-verified Authorization header),
 * with a fixed label. Why: it costs no secret-store read on the hot path (the 2 ms overhead budget), it is
 * different for every instance, it changes when the token is rotated, and it is never the org secret. The
 * holder of the element token could mint a cursor, but gains nothing: a cursor carries only a position
 * (an offset or a sys_id, both validated strictly below), never query text; the query is rebuilt from the
 * validated request parameters on every call.
 */
export type PageCursor =
  /**
   * Keyset on ORDERBYsys_id: the next page is `sys_id>after` (all rows when absent), read from `skip`
   * (0 normally; a window of rows all hidden by ACLs gives no row to resume after, so the offset steps
   * over it).
   */
  | {
      kind: 'keyset';
      after?: string;
      /**
       * With a date-time order (`orderBy=sys_updated_on [desc]`): the order field's raw value on the last
       * row, `yyyy-MM-dd HH:mm:ss`; the next page is `(F>value) OR (F=value AND sys_id>after)`.
       */
      value?: string;
      skip: number;
    }
  /**
   * Offset cursor for orders keyset cannot resume (any orderBy not ending in sys_id). `drop`: rows of the
   * window at `offset` already returned, when a page ended early at the byte bound (shared/hub/page-bytes.ts);
   * the window is read again and those rows left out, so rows hidden by ACLs cannot shift it.
   */
  | { kind: 'offset'; offset: number; drop?: number };

export interface PageTokenScope {
  instanceId: number;
  table: string;
  /** The encoded query sent to ServiceNow, order included, without the keyset condition. */
  query: string;
}

const LABEL = 'snow-element/hub/page-token/v1';
/** sys_id values ServiceNow issues: 32 lower-case hex characters. */
const SYS_ID = /^[0-9a-f]{32}$/;
/** ServiceNow's raw date-time format. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;
/** ServiceNow's own paging limit is far below this; it bounds a minted cursor. */
const MAX_OFFSET = 100_000_000;
/** Tokens are short; anything longer is refused before decoding. */
const MAX_TOKEN_LENGTH = 512;

/**
 * Derived keys and scope digests are remembered (the hub derives the key on every list call, the 2 ms
 * budget): a process sees few element tokens and few distinct queries. Bounded; the oldest entry goes
 * first. Keys never leave this module except as copies, so no caller can alter a remembered one.
 */
const MEMO_ENTRIES = 1_000;
/** Longer scopes (a long `where`) are hashed every time rather than kept. */
const MEMO_MAX_SCOPE_LENGTH = 2_048;
const derivedKeys = new Map<string, Buffer>();
const scopeDigests = new Map<string, string>();

const remember = <V>(memo: Map<string, V>, key: string, value: V): V => {
  if (memo.size >= MEMO_ENTRIES) {
    const oldest = memo.keys().next();
    if (!oldest.done) memo.delete(oldest.value);
  }
  memo.set(key, value);
  return value;
};

/** The per-instance token key (see the module comment for why the element token). */
export const pageTokenKey = (elementToken: string): Buffer => {
  const key =
    derivedKeys.get(elementToken) ??
    remember(derivedKeys, elementToken, createHmac('sha256', elementToken).update(LABEL).digest());
  return Buffer.from(key);
};

const scopeText = (scope: PageTokenScope): string => {
  const text = JSON.stringify([scope.instanceId, scope.table, scope.query]);
  const known = scopeDigests.get(text);
  if (known !== undefined) return known;
  const digest = createHash('sha256').update(text).digest('base64url');
  return text.length > MEMO_MAX_SCOPE_LENGTH ? digest : remember(scopeDigests, text, digest);
};

const mac = (key: Buffer, payload: string, scope: PageTokenScope): Buffer =>
  createHmac('sha256', key)
    .update(`${payload}|${scopeText(scope)}`)
    .digest();

export const signPageToken = (key: Buffer, scope: PageTokenScope, cursor: PageCursor): string => {
  const payload = Buffer.from(
    JSON.stringify(
      cursor.kind === 'keyset'
        ? {
            k: 'ks',
            ...(cursor.after === undefined ? {} : { a: cursor.after }),
            ...(cursor.value === undefined ? {} : { v: cursor.value }),
            s: cursor.skip,
          }
        : { k: 'of', o: cursor.offset, ...(cursor.drop ? { d: cursor.drop } : {}) },
    ),
  ).toString('base64url');
  return `${payload}.${mac(key, payload, scope).toString('base64url')}`;
};

export const invalidPageToken = () =>
  new InvalidInputError(
    'Invalid nextPage token: it was altered, or issued for another query, table or instance; send the query again without nextPage',
  );

const parseCursor = (payload: string): PageCursor => {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw invalidPageToken();
  }
  if (typeof value !== 'object' || value === null) throw invalidPageToken();
  const { k, a, v, s, o, d } = value as {
    k?: unknown;
    a?: unknown;
    v?: unknown;
    s?: unknown;
    o?: unknown;
    d?: unknown;
  };
  const offset = (n: unknown): n is number =>
    typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 && n <= MAX_OFFSET;
  if (k === 'ks' && offset(s)) {
    if (a === undefined && v === undefined) return { kind: 'keyset', skip: s };
    if (typeof a === 'string' && SYS_ID.test(a)) {
      if (v === undefined) return { kind: 'keyset', after: a, skip: s };
      if (typeof v === 'string' && DATE_TIME.test(v)) return { kind: 'keyset', after: a, value: v, skip: s };
    }
  }
  if (k === 'of' && offset(o)) {
    if (d === undefined) return { kind: 'offset', offset: o };
    if (offset(d) && d > 0) return { kind: 'offset', offset: o, drop: d };
  }
  throw invalidPageToken();
};

/** The cursor of a token issued with the same key and scope; 400 for anything else. */
export const verifyPageToken = (key: Buffer, scope: PageTokenScope, token: string): PageCursor => {
  if (token.length > MAX_TOKEN_LENGTH) throw invalidPageToken();
  const parts = token.split('.');
  if (parts.length !== 2) throw invalidPageToken();
  const [payload = '', signature = ''] = parts;
  if (!/^[A-Za-z0-9_-]+$/.test(payload) || !/^[A-Za-z0-9_-]+$/.test(signature)) throw invalidPageToken();
  const given = Buffer.from(signature, 'base64url');
  // Only the canonical encoding: the last base64 character carries unused bits, so a decoder alone would
  // accept several spellings of the same signature (a malleable token).
  if (given.toString('base64url') !== signature) throw invalidPageToken();
  const expected = mac(key, payload, scope);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalidPageToken();
  return parseCursor(payload);
};
