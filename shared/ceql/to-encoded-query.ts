import type { ComparisonOperator, Expression, Literal, Predicate } from './ast';
import { MAX_GROUPS, toGroups } from './dnf';
import { CeqlTranslationError } from './errors';
import type { FieldCatalog, FieldType } from './field-catalog';
import { assertSafeValue, encodeLiteral, type Rounding, type ValueSite } from './values';

export interface TranslateOptions {
  fields: FieldCatalog;
  /** Cap on `^NQ` groups after multiplying out parentheses (default MAX_GROUPS = 64). */
  maxGroups?: number;
}

/**
 * Names ServiceNow can parse as a field: lower-case words, dot-walked. Anything else
 * (even if a catalog claimed it) could be read as an operator or separator, so it is refused.
 */
const SAFE_FIELD = /^[a-z0-9_]+(?:\.[a-z0-9_]+)*$/;

/**
 * CEQL AST -> ServiceNow encoded query (`sysparm_query`).
 *
 * - AND/OR/parentheses become groups joined by `^NQ`, conditions joined by `^`, and `^OR` for an OR of
 *   plain conditions (exactly equivalent, B.1); see dnf.ts.
 * - `!=` and `NOT IN` / `NOT LIKE` keep ServiceNow's meaning: they also match records where the field
 *   is empty (B.2), unlike SQL where NULL never compares.
 * - `<`, `<=`, `>`, `>=` never match empty fields.
 * - Unknown fields are refused with a 400 because ServiceNow would drop the condition and return more
 *   rows than asked for (B.5).
 */
export function toEncodedQuery(expression: Expression | undefined, options: TranslateOptions): string {
  if (!expression) return '';
  const groups = toGroups(expression, options.maxGroups ?? MAX_GROUPS);
  return groups
    .map((group) =>
      group.map((item) => item.map((p) => encodePredicate(p, options.fields)).join('^OR')).join('^'),
    )
    .join('^NQ');
}

/** Resolves a field against the catalog; 400 when unknown or not a plain ServiceNow name. */
export function checkField(field: string, position: number, fields: FieldCatalog): FieldType {
  if (!fields.has(field))
    throw new CeqlTranslationError(
      `Unknown field '${field}' on ${fields.table} at position ${position}`,
      position,
    );
  if (!SAFE_FIELD.test(field)) {
    throw new CeqlTranslationError(
      `Field name '${field}' at position ${position} cannot be used in a ServiceNow query`,
      position,
    );
  }
  return fields.type(field) ?? 'string';
}

const ROUNDING: Record<ComparisonOperator, Rounding> = {
  '=': 'exact',
  '!=': 'exact',
  '>': 'floor',
  '<=': 'floor',
  '>=': 'ceil',
  '<': 'ceil',
};

function encodePredicate(predicate: Predicate, fields: FieldCatalog): string {
  const { field, position } = predicate;
  const type = checkField(field, position, fields);
  const site: ValueSite = { field, position };
  switch (predicate.kind) {
    case 'null':
      // ServiceNow does not tell NULL from ''.
      return `${field}${predicate.negated ? 'ISNOTEMPTY' : 'ISEMPTY'}`;
    case 'compare': {
      const { operator, value } = predicate;
      if (type === 'boolean' && operator !== '=' && operator !== '!=') {
        // true/false have no order anyone relies on; ServiceNow would compare the text.
        throw new CeqlTranslationError(
          `Field '${field}' is true/false and supports only = and != (operator ${operator} at position ${position})`,
          position,
        );
      }
      const text = encodeLiteral(value, type, site, ROUNDING[operator]);
      const ordering = operator !== '=' && operator !== '!=';
      if (ordering && text === '') {
        throw new CeqlTranslationError(
          `Field '${field}' cannot be compared with ${operator} to an empty value (position ${value.position})`,
          value.position,
        );
      }
      assertSafeValue(text, site, value.position, { afterAngle: operator === '<' || operator === '>' });
      // `field=` (empty value) tests emptiness, the same as comparing with ''.
      return `${field}${operator}${text}`;
    }
    case 'in': {
      const texts = predicate.values.map((value: Literal) => {
        const text = encodeLiteral(value, type, site, 'exact');
        if (text === '') {
          throw new CeqlTranslationError(
            `Empty value in IN list of field '${field}' at position ${value.position}`,
            value.position,
          );
        }
        assertSafeValue(text, site, value.position, { list: true });
        return text;
      });
      return `${field}${predicate.negated ? 'NOT IN' : 'IN'}${texts.join(',')}`;
    }
    case 'like':
      return encodeLike(
        predicate.field,
        predicate.negated,
        predicate.pattern,
        predicate.patternPosition,
        site,
      );
  }
}

/**
 * LIKE patterns: `%x%` -> LIKE (contains), `x%` -> STARTSWITH, `%x` -> ENDSWITH, no `%` ->
 * `=`. `%` inside the text has no ServiceNow equivalent and is refused; `_` is an ordinary character.
 * NOT LIKE exists only as "does not contain" (and `!=` without `%`). A pattern of only `%` means "has a
 * value" (ISNOTEMPTY); matching is case-insensitive on ServiceNow except for the `=` form.
 */
function encodeLike(
  field: string,
  negated: boolean,
  pattern: string,
  position: number,
  site: ValueSite,
): string {
  const leading = pattern.startsWith('%');
  const trailing = pattern.endsWith('%');
  const core = pattern.replace(/^%+/, '').replace(/%+$/, '');
  if (core.includes('%')) {
    throw new CeqlTranslationError(
      `LIKE pattern for field '${field}' at position ${position} may use % only at its start and end (ServiceNow has no inner wildcard)`,
      position,
    );
  }
  if (core === '') {
    if (pattern === '') return `${field}${negated ? 'ISNOTEMPTY' : 'ISEMPTY'}`;
    return `${field}${negated ? 'ISEMPTY' : 'ISNOTEMPTY'}`;
  }
  assertSafeValue(core, site, position);
  if (leading && trailing) return `${field}${negated ? 'NOT LIKE' : 'LIKE'}${core}`;
  if (!leading && !trailing) return `${field}${negated ? '!=' : '='}${core}`;
  if (negated) {
    throw new CeqlTranslationError(
      `NOT LIKE for field '${field}' at position ${position} supports only '%text%' (does not contain) or text without %; ServiceNow has no "does not start/end with"`,
      position,
    );
  }
  return `${field}${leading ? 'ENDSWITH' : 'STARTSWITH'}${core}`;
}
