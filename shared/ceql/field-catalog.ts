/**
 * ServiceNow internal field types the translator cares about (sys_dictionary `internal_type`).
 * Any other type name (email, url, GUID, journal...) is treated as text.
 */
export type FieldType =
  | 'string'
  | 'integer'
  | 'decimal'
  | 'float'
  | 'boolean'
  | 'glide_date_time'
  | 'glide_date'
  | 'reference'
  | 'choice'
  | (string & {});

/**
 * The fields a query may name, so an unknown one is refused instead of silently dropped by ServiceNow,
 * which would widen the result. The hub backs this with
 * sys_dictionary metadata; dot-walked names (`caller_id.email`) are answered by the catalog too.
 */
export interface FieldCatalog {
  /** Table name, for error messages. */
  readonly table: string;
  has(name: string): boolean;
  /** undefined when the field is unknown. */
  type(name: string): FieldType | undefined;
}

/** A catalog from a plain `name -> type` map (tests, fixed schemas). */
export function fieldCatalog(table: string, types: Record<string, FieldType>): FieldCatalog {
  const map = new Map(Object.entries(types));
  return {
    table,
    has: (name) => map.has(name),
    type: (name) => map.get(name),
  };
}
