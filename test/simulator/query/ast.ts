/**
 * Encoded query AST: a query is an OR of groups (`^NQ`), a group is an AND of items
 * (`^`), an item is an OR of conditions (`^OR` binds tighter than `^`).
 */

export const OPERATORS = [
  'NOT LIKE',
  'NOTLIKE',
  'NOT IN',
  'ISNOTEMPTY',
  'ISEMPTY',
  'EMPTYSTRING',
  'ANYTHING',
  'STARTSWITH',
  'ENDSWITH',
  'INSTANCEOF',
  'BETWEEN',
  'NSAMEAS',
  'SAMEAS',
  'NOTON',
  'LIKE',
  'ON',
  'IN',
  '!=',
  '>=',
  '<=',
  '=',
  '>',
  '<',
] as const;

export type Operator = (typeof OPERATORS)[number];

export interface Condition {
  /** Field as written, possibly dot-walked (`caller_id.email`). */
  field: string;
  /** undefined when no known operator followed the field name (an invalid condition). */
  operator: Operator | undefined;
  /** Raw text after the operator (to the next `^`); '' for unary operators. */
  value: string;
}

/** Conditions joined by ^OR. */
export interface Item {
  any: Condition[];
}

/** Items joined by ^. */
export interface Group {
  all: Item[];
}

export interface OrderKey {
  field: string;
  descending: boolean;
}

export interface ParsedQuery {
  /** Groups joined by ^NQ; empty = every row. */
  groups: Group[];
  /** ORDERBY / ORDERBYDESC terms in the order written. */
  orderBy: OrderKey[];
}
