import type { Expression, Literal, OrderTerm } from './ast';
import { KEYWORDS } from './lexer';

const BARE_FIELD = /^[A-Za-z_]\w*(?:\.\w+)*$/;
const KEYWORD_SET = new Set<string>(KEYWORDS);

/** A field as CEQL text: bare when it lexes back as the same name, else back-ticked (`` ` `` doubled). */
export function printField(field: string): string {
  if (BARE_FIELD.test(field) && !KEYWORD_SET.has(field.toUpperCase())) return field;
  return `\`${field.replaceAll('`', '``')}\``;
}

export function printLiteral(literal: Literal): string {
  switch (literal.kind) {
    case 'string':
      return `'${literal.value.replaceAll("'", "''")}'`;
    case 'boolean':
      return literal.value ? 'true' : 'false';
    default:
      return literal.value;
  }
}

/**
 * Canonical CEQL for an expression: `parseWhere(printWhere(e))` gives `e` back (positions aside).
 * Used in logs and by the round-trip property tests.
 */
export function printWhere(expression: Expression): string {
  switch (expression.kind) {
    case 'and':
      return expression.operands
        .map((operand) => (operand.kind === 'or' ? `(${printWhere(operand)})` : printWhere(operand)))
        .join(' AND ');
    case 'or':
      return expression.operands.map(printWhere).join(' OR ');
    case 'compare':
      return `${printField(expression.field)} ${expression.operator} ${printLiteral(expression.value)}`;
    case 'like':
      return `${printField(expression.field)} ${expression.negated ? 'NOT LIKE' : 'LIKE'} ${printLiteral({ kind: 'string', value: expression.pattern, position: 0 })}`;
    case 'in':
      return `${printField(expression.field)} ${expression.negated ? 'NOT IN' : 'IN'} (${expression.values.map(printLiteral).join(', ')})`;
    case 'null':
      return `${printField(expression.field)} IS ${expression.negated ? 'NOT NULL' : 'NULL'}`;
  }
}

export function printOrderBy(terms: OrderTerm[]): string {
  return terms.map((term) => `${printField(term.field)} ${term.descending ? 'desc' : 'asc'}`).join(', ');
}
