import type { OrderTerm } from './ast';
import type { FieldCatalog } from './field-catalog';
import { parseOrderBy } from './parser';
import { checkField } from './to-encoded-query';

/** Order terms -> `ORDERBYa^ORDERBYDESCb`, applied in the order written (research B.1). Fields are validated. */
export function orderTermsToEncoded(terms: OrderTerm[], fields: FieldCatalog): string {
  return terms
    .map((term) => {
      checkField(term.field, term.position, fields);
      return `${term.descending ? 'ORDERBYDESC' : 'ORDERBY'}${term.field}`;
    })
    .join('^');
}

/** CE's `orderBy=priority desc, number` (research cloud-elements-servicenow.md 3.4) -> encoded ORDERBY terms. */
export function orderByToEncoded(orderBy: string, fields: FieldCatalog): string {
  if (orderBy.trim() === '') return '';
  return orderTermsToEncoded(parseOrderBy(orderBy), fields);
}
