import type { OrderTerm } from './ast';
import type { FieldCatalog } from './field-catalog';
import { parseOrderBy } from './parser';
import { checkField } from './to-encoded-query';

/** Order terms -> `ORDERBYa^ORDERBYDESCb`, applied in the order written. Fields are validated. */
export function orderTermsToEncoded(terms: OrderTerm[], fields: FieldCatalog): string {
  return terms
    .map((term) => {
      checkField(term.field, term.position, fields);
      return `${term.descending ? 'ORDERBYDESC' : 'ORDERBY'}${term.field}`;
    })
    .join('^');
}

/** CE's `orderBy=priority desc, number` -> encoded ORDERBY terms. */
export function orderByToEncoded(orderBy: string, fields: FieldCatalog): string {
  if (orderBy.trim() === '') return '';
  return orderTermsToEncoded(parseOrderBy(orderBy), fields);
}
