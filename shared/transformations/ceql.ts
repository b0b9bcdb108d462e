import type { Expression, OrderTerm } from '../ceql';
import {
  type FieldCatalog,
  orderTermsToEncoded,
  parseOrderBy,
  parseWhere,
  type TranslateOptions,
  toEncodedQuery,
} from '../ceql';
import { InvalidInputError } from '../errors';
import { isDotted } from './paths';
import type { Transformation } from './schema';

/**
 * CEQL on common field names -> the same CEQL on vendor fields. Only fields with a plain dotted
 * `vendorPath` can be queried (ServiceNow dot-walks); array/filter paths, computed and
 * `remove.fromVendor` fields, and unknown names are refused with 400.
 */
function vendorField(transformation: Transformation, common: string): string {
  const field = transformation.fields.find((f) => f.path === common);
  if (!field)
    throw new InvalidInputError(`Unknown field '${common}' for ${transformation.vendorName} transformation`);
  if (field.vendorPath === undefined || !isDotted(field.vendorPath)) {
    throw new InvalidInputError(
      `Field '${common}' cannot be used in a query (computed or not a plain vendor field)`,
    );
  }
  if (field.configuration?.some((c) => c.type === 'remove' && (c.properties?.fromVendor ?? true))) {
    throw new InvalidInputError(`Field '${common}' is removed and cannot be queried`);
  }
  return field.vendorPath.replace(/^\$\./, '');
}

export function mapCeqlToVendor(expression: Expression, transformation: Transformation): Expression {
  switch (expression.kind) {
    case 'and':
    case 'or':
      return { ...expression, operands: expression.operands.map((o) => mapCeqlToVendor(o, transformation)) };
    default:
      return { ...expression, field: vendorField(transformation, expression.field) };
  }
}

export const mapOrderByToVendor = (terms: OrderTerm[], transformation: Transformation): OrderTerm[] =>
  terms.map((term) => ({ ...term, field: vendorField(transformation, term.field) }));

/** `where`/`orderBy` on common names -> `sysparm_query` on the vendor table (vendor catalog checks types). */
export function transformedCeqlToEncodedQuery(
  request: { where?: string; orderBy?: string },
  transformation: Transformation,
  options: TranslateOptions,
): string {
  const where = request.where?.trim()
    ? toEncodedQuery(mapCeqlToVendor(parseWhere(request.where), transformation), options)
    : '';
  const order = request.orderBy?.trim()
    ? orderTermsToEncoded(mapOrderByToVendor(parseOrderBy(request.orderBy), transformation), options.fields)
    : '';
  return [where, order].filter((part) => part !== '').join('^');
}

/** A catalog answering for common names, typed by the vendor catalog (for callers that want one). */
export function commonFieldCatalog(transformation: Transformation, vendor: FieldCatalog): FieldCatalog {
  const lookup = (name: string) => {
    try {
      return vendorField(transformation, name);
    } catch {
      return undefined;
    }
  };
  return {
    table: vendor.table,
    has: (name) => {
      const v = lookup(name);
      return v !== undefined && vendor.has(v);
    },
    type: (name) => {
      const v = lookup(name);
      return v === undefined ? undefined : vendor.type(v);
    },
  };
}
