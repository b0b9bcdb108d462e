/**
 * CEQL (Cloud Elements Query Language) -> ServiceNow
 * encoded query.
 *
 * Typical use in the hub:
 *   const sysparm_query = ceqlToEncodedQuery({ where, orderBy }, { fields: catalogFromSysDictionary });
 * Every refusal is a CeqlError (an ElementError with status 400) whose message names the position.
 *
 * Semantics the hub promises (proved against the simulator by test/ceql/properties.test.ts):
 * - AND binds tighter than OR; parentheses are multiplied out into `^NQ` groups (at most 64).
 * - Empty fields are NULL: `IS NULL` -> ISEMPTY; `!=`, `NOT IN`, `NOT LIKE` match empty fields (as
 *   ServiceNow does, B.2); `<`, `<=`, `>`, `>=` never do.
 * - LIKE: `%x%` contains, `x%` starts with, `%x` ends with (case-insensitive); no `%` is `=`; `%` inside
 *   the text, NOT LIKE 'x%' / '%x' are refused (no ServiceNow equivalent).
 * - Date-time fields take ISO 8601 (zone optional, UTC when absent; date only = midnight UTC) and are
 *   sent as `yyyy-MM-dd HH:mm:ss` UTC (A.7); booleans take true/false/1/0 and only = / !=.
 * - Values that an encoded query cannot carry (`^`, control characters, `javascript:`, `,` in IN lists,
 *   `=` right after `<`/`>`) and unknown fields (B.5) are refused rather than sent.
 */
export type {
  And,
  Comparison,
  ComparisonOperator,
  Expression,
  InList,
  Like,
  Literal,
  NullCheck,
  Or,
  OrderTerm,
  Predicate,
} from './ast';
export { formatServiceNowDate, formatServiceNowDateTime, parseIsoInstant } from './dates';
export { type Group, type Item, MAX_GROUPS, toGroups } from './dnf';
export { CeqlError, CeqlSyntaxError, CeqlTranslationError } from './errors';
export { type FieldCatalog, type FieldType, fieldCatalog } from './field-catalog';
export { type Token, type TokenKind, tokenize } from './lexer';
export { orderByToEncoded, orderTermsToEncoded } from './order-by';
export { parseOrderBy, parseWhere } from './parser';
export { printField, printLiteral, printOrderBy, printWhere } from './print';
export { type TranslateOptions, toEncodedQuery } from './to-encoded-query';
export { type CeqlRequest, ceqlToEncodedQuery } from './translate';
