import { orderByToEncoded } from './order-by';
import { parseWhere } from './parser';
import { type TranslateOptions, toEncodedQuery } from './to-encoded-query';

export interface CeqlRequest {
  /** CE `where` parameter; absent or blank means every record. */
  where?: string;
  /** CE `orderBy` parameter, `field asc|desc[, ...]`. */
  orderBy?: string;
}

/**
 * The hub's one-call entry point: `where` + `orderBy` -> `sysparm_query`. ORDERBY terms go last; they
 * apply to the whole query whatever `^NQ` groups precede them. Throws CeqlError (400).
 */
export function ceqlToEncodedQuery(request: CeqlRequest, options: TranslateOptions): string {
  const where = request.where?.trim() ? toEncodedQuery(parseWhere(request.where), options) : '';
  const order = request.orderBy ? orderByToEncoded(request.orderBy, options.fields) : '';
  return [where, order].filter((part) => part !== '').join('^');
}
