/**
 * CEQL abstract syntax. CE documents `AND`, `OR`,
 * parentheses, `= != < > <= >=`, `LIKE` with `%`, `IN` and `IS NULL`, plus `NOT LIKE`,
 * `NOT IN` and `IS NOT NULL`. CE documents no prefix `NOT`, so there is none here.
 *
 * `position` fields are 0-based offsets into the `where` text, used by error messages.
 */

/** A value on the right-hand side. Numbers and unquoted dates keep their source text. */
export type Literal =
  | { kind: 'string'; value: string; position: number }
  | { kind: 'number'; value: string; position: number }
  | { kind: 'boolean'; value: boolean; position: number }
  /** Unquoted ISO date, as in CE's example `` `metaData.lastUpdateTime` > 2015-01-06T09:31:38-07:00 ``. */
  | { kind: 'date'; value: string; position: number };

export type ComparisonOperator = '=' | '!=' | '<' | '<=' | '>' | '>=';

export interface Comparison {
  kind: 'compare';
  field: string;
  position: number;
  operator: ComparisonOperator;
  value: Literal;
}

/** `field [NOT] LIKE 'pattern'`; `%` is the only wildcard CE documents. */
export interface Like {
  kind: 'like';
  field: string;
  position: number;
  negated: boolean;
  pattern: string;
  patternPosition: number;
}

export interface InList {
  kind: 'in';
  field: string;
  position: number;
  negated: boolean;
  values: Literal[];
}

export interface NullCheck {
  kind: 'null';
  field: string;
  position: number;
  /** true for `IS NOT NULL`. */
  negated: boolean;
}

export type Predicate = Comparison | Like | InList | NullCheck;

/** n-ary and flattened: an `and` never directly contains an `and`, an `or` never an `or`. */
export interface And {
  kind: 'and';
  operands: Expression[];
}

export interface Or {
  kind: 'or';
  operands: Expression[];
}

export type Expression = Predicate | And | Or;

export interface OrderTerm {
  field: string;
  position: number;
  descending: boolean;
}
