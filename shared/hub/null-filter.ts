/**
 * `filter.response.nulls` (default true): hub responses drop fields whose value is null.
 * An instance configuration key, read only by the hub.
 */
export const filtersNulls = (configuration: Record<string, string>): boolean =>
  configuration['filter.response.nulls'] !== 'false';

export const withoutNulls = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== null)
        .map(([k, v]) => [k, withoutNulls(v)]),
    );
  }
  return value;
};
