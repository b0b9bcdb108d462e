import type { SnRecord } from '../servicenow';

/** A raw field value: a string, or the `value` of `{value, display_value}` (display_value=all, A.6). */
export const fieldValue = (record: SnRecord, path: string): string | undefined => {
  // Dot-walked fields come back as flat keys ("caller_id.email"); nested objects only from our own raw.
  let value: unknown = Object.hasOwn(record, path) ? record[path] : undefined;
  if (value === undefined && path.includes('.')) {
    value = path.split('.').reduce<unknown>((at, key) => {
      if (typeof at !== 'object' || at === null) return undefined;
      return (at as Record<string, unknown>)[key];
    }, record);
  }
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { value?: unknown }).value === 'string'
  ) {
    return (value as { value: string }).value;
  }
  return undefined;
};
