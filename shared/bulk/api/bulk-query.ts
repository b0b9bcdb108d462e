import { InvalidInputError } from '../../errors';

/**
 * CE's `POST /bulk/query?q=select * from incidents where ... [order by ...]`. CE's
 * ServiceNow element only honoured `select *`; here a field list and `order by` work too.
 */
export interface BulkQuery {
  /** undefined for `select *`. */
  selectFields?: string[];
  objectName: string;
  /** CEQL text after `where` (validated later by the hub's CEQL translator). */
  where?: string;
  /** CE orderBy text after `order by` (`priority desc, number`). */
  orderBy?: string;
}

const FIELD = /^[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*$/;
const OBJECT = /^[A-Za-z][A-Za-z0-9_-]{0,127}$/;
const MAX_Q_LENGTH = 8192;

/**
 * Offsets of `keyword` (case-insensitive, whole word, followed by whitespace) outside quoted strings
 * and parentheses, so `where short_description = 'order by me'` does not split on the quoted words.
 */
const topLevelKeyword = (
  text: string,
  keyword: RegExp,
  from = 0,
): { index: number; end: number } | undefined => {
  let depth = 0;
  let quote: string | undefined;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (quote !== undefined) {
      if (c === quote) {
        if (text[i + 1] === quote)
          i++; // '' inside a string
        else quote = undefined;
      }
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    else if (depth === 0 && (i === 0 || /\s/.test(text[i - 1] ?? ''))) {
      const match = keyword.exec(text.slice(i));
      if (match) return { index: i, end: i + match[0].length };
    }
  }
  if (quote !== undefined) throw new InvalidInputError('q has an unterminated quoted string');
  return undefined;
};

const FROM = /^from\s+/i;
const WHERE = /^where(?:\s+|$)/i;
const ORDER_BY = /^order\s+by(?:\s+|$)/i;

export function parseBulkQuery(q: string | null | undefined): BulkQuery {
  const text = (q ?? '').trim();
  if (text === '') throw new InvalidInputError('q is required, e.g. q=select * from incidents');
  if (text.length > MAX_Q_LENGTH) throw new InvalidInputError(`q is longer than ${MAX_Q_LENGTH} characters`);
  const select = /^select\s+/i.exec(text);
  if (!select) throw new InvalidInputError('q must start with "select", e.g. select * from incidents');
  const from = topLevelKeyword(text, FROM, select[0].length);
  if (!from) throw new InvalidInputError('q has no "from <objectName>"');
  const list = text.slice(select[0].length, from.index).trim();
  let selectFields: string[] | undefined;
  if (list !== '*') {
    const fields = list.split(',').map((field) => field.trim());
    for (const field of fields) {
      if (field === '*') throw new InvalidInputError('q: "*" cannot be combined with field names');
      if (!FIELD.test(field))
        throw new InvalidInputError(`q: invalid field name ${JSON.stringify(field.slice(0, 100))}`);
    }
    selectFields = [...new Set(fields)];
  }
  const rest = text.slice(from.end);
  const name = /^([^\s]+)(?:\s+|$)/.exec(rest);
  const objectName = name?.[1] ?? '';
  if (!OBJECT.test(objectName)) {
    throw new InvalidInputError(`q: invalid object name ${JSON.stringify(objectName.slice(0, 100))}`);
  }
  const tail = rest.slice(name?.[0].length ?? 0);
  const where = topLevelKeyword(tail, WHERE);
  const order = topLevelKeyword(tail, ORDER_BY);
  if (tail.trim() !== '' && where?.index !== 0 && order?.index !== 0) {
    throw new InvalidInputError(
      `q: expected "where" or "order by" after the object name, found ${JSON.stringify(tail.trim().slice(0, 50))}`,
    );
  }
  if (where !== undefined && order !== undefined && order.index < where.index) {
    throw new InvalidInputError('q: "where" must come before "order by"');
  }
  const whereText =
    where === undefined ? undefined : tail.slice(where.end, order?.index ?? tail.length).trim();
  const orderText = order === undefined ? undefined : tail.slice(order.end).trim();
  if (whereText === '') throw new InvalidInputError('q: "where" needs a condition');
  if (orderText === '') throw new InvalidInputError('q: "order by" needs at least one field');
  return {
    ...(selectFields === undefined ? {} : { selectFields }),
    objectName,
    ...(whereText === undefined ? {} : { where: whereText }),
    ...(orderText === undefined ? {} : { orderBy: orderText }),
  };
}
