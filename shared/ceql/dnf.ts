import type { Expression, Predicate } from './ast';
import { CeqlTranslationError } from './errors';

/**
 * An encoded query's shape: groups joined by `^NQ` (OR), each an
 * AND (`^`) of items, each item an OR (`^OR`) of predicates. `^OR` binds only its neighbours, so an item
 * is exactly a disjunction of plain predicates and nothing else.
 */
export type Item = Predicate[];
export type Group = Item[];

/** ServiceNow has no parentheses, so nested AND/OR is multiplied out; this bounds the blow-up. */
export const MAX_GROUPS = 64;

/**
 * Disjunctive normal form with `^OR` items: an OR of plain predicates stays one item (`a^ORb`), any other
 * OR becomes separate groups, and an AND distributes over its operands' groups. Throws a 400 when the
 * result would exceed MAX_GROUPS.
 */
export function toGroups(expression: Expression, maxGroups = MAX_GROUPS): Group[] {
  switch (expression.kind) {
    case 'or': {
      if (expression.operands.every(isPredicate)) return [[expression.operands as Predicate[]]];
      const groups: Group[] = [];
      for (const operand of expression.operands) {
        groups.push(...toGroups(operand, maxGroups));
        // Checked per operand so a long OR chain fails before building every group.
        bounded(groups, maxGroups);
      }
      return groups;
    }
    case 'and': {
      let groups: Group[] = [[]];
      for (const operand of expression.operands) {
        const next = toGroups(operand, maxGroups);
        bounded({ length: groups.length * next.length }, maxGroups);
        groups = groups.flatMap((left) => next.map((right) => [...left, ...right]));
      }
      return groups;
    }
    default:
      return [[[expression]]];
  }
}

function isPredicate(expression: Expression): expression is Predicate {
  return expression.kind !== 'and' && expression.kind !== 'or';
}

function bounded<T extends { length: number }>(groups: T, maxGroups: number): T {
  if (groups.length > maxGroups) {
    throw new CeqlTranslationError(
      `Query too complex: it expands to more than ${maxGroups} OR-ed groups once parentheses are removed`,
    );
  }
  return groups;
}
