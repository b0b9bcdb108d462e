import type { Expression, Literal } from '../../../shared/ceql';

/** The AST without source positions, for comparing parses of different texts. */
export type Bare = unknown;

const literal = (l: Literal) => ({ kind: l.kind, value: l.value });

export function strip(e: Expression): Bare {
  switch (e.kind) {
    case 'and':
    case 'or':
      return { kind: e.kind, operands: e.operands.map(strip) };
    case 'compare':
      return { kind: e.kind, field: e.field, operator: e.operator, value: literal(e.value) };
    case 'like':
      return { kind: e.kind, field: e.field, negated: e.negated, pattern: e.pattern };
    case 'in':
      return { kind: e.kind, field: e.field, negated: e.negated, values: e.values.map(literal) };
    case 'null':
      return { kind: e.kind, field: e.field, negated: e.negated };
  }
}
