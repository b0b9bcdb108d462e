import { type Condition, type Group, OPERATORS, type Operator, type OrderKey, type ParsedQuery } from './ast';

/** Field names are lowercase identifiers, dot-walked with '.'; operators start with an uppercase letter or a symbol. */
const FIELD_CHAR = /[a-z0-9_.]/;
const SYMBOLIC = /!=|>=|<=|=|>|</;

/**
 * Parses an encoded query. No escaping exists (B.4): `^` always separates. Parsing never
 * fails; conditions it cannot understand come back with `operator: undefined` and are judged against the
 * schema later (ignored, or no rows in strict mode).
 */
export function parseEncodedQuery(query: string): ParsedQuery {
  const groups: Group[] = [];
  const orderBy: OrderKey[] = [];
  let current: Group = { all: [] };
  let ended = false;
  for (const part of query.split('^')) {
    if (ended) break;
    if (part === '') continue;
    if (part === 'EQ') {
      ended = true;
      continue;
    }
    if (part.startsWith('ORDERBYDESC')) {
      const field = part.slice('ORDERBYDESC'.length);
      if (field) orderBy.push({ field, descending: true });
      continue;
    }
    if (part.startsWith('ORDERBY')) {
      const field = part.slice('ORDERBY'.length);
      if (field) orderBy.push({ field, descending: false });
      continue;
    }
    if (part.startsWith('NQ')) {
      if (current.all.length > 0) groups.push(current);
      current = { all: [] };
      const rest = part.slice(2);
      if (rest) current.all.push({ any: [parseCondition(rest)] });
      continue;
    }
    if (part.startsWith('OR')) {
      const condition = parseCondition(part.slice(2));
      const last = current.all[current.all.length - 1];
      if (last) last.any.push(condition);
      else current.all.push({ any: [condition] });
      continue;
    }
    current.all.push({ any: [parseCondition(part)] });
  }
  if (current.all.length > 0) groups.push(current);
  return { groups, orderBy };
}

/** `field operator value`; an unknown operator token becomes part of the field name. */
export function parseCondition(text: string): Condition {
  let end = 0;
  while (end < text.length && FIELD_CHAR.test(text[end]!)) end++;
  const rest = text.slice(end);
  for (const operator of OPERATORS) {
    if (rest.startsWith(operator)) {
      return {
        field: text.slice(0, end),
        operator,
        value: unary(operator) ? '' : rest.slice(operator.length),
      };
    }
  }
  const symbol = SYMBOLIC.exec(text);
  if (!symbol) return { field: text, operator: undefined, value: '' };
  return {
    field: text.slice(0, symbol.index),
    operator: symbol[0] as Operator,
    value: text.slice(symbol.index + symbol[0].length),
  };
}

function unary(operator: Operator): boolean {
  return (
    operator === 'ISEMPTY' ||
    operator === 'ISNOTEMPTY' ||
    operator === 'EMPTYSTRING' ||
    operator === 'ANYTHING'
  );
}
