/** Query-parameter parsing shared by the Table, Attachment and Aggregate routes. */
import type { DisplayMode } from './shape';

/** `sysparm_limit`: positive integer; undefined when absent; 'invalid' -> the A.4 400 body. */
export function parseLimit(query: URLSearchParams, fallback: number): number | 'invalid' {
  const raw = query.get('sysparm_limit');
  if (raw === null || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) return 'invalid';
  const limit = Number(raw.trim());
  return limit > 0 && Number.isSafeInteger(limit) ? limit : 'invalid';
}

/** `sysparm_offset`: "Don't pass a negative number" — anything not a non-negative integer reads as 0. */
export function parseOffset(query: URLSearchParams): number {
  const raw = query.get('sysparm_offset')?.trim() ?? '';
  return /^\d+$/.test(raw) ? Number(raw) : 0;
}

export function parseDisplay(query: URLSearchParams): DisplayMode {
  const raw = query.get('sysparm_display_value')?.toLowerCase();
  return raw === 'true' || raw === 'all' ? raw : 'false';
}

export function parseFields(query: URLSearchParams): string[] | undefined {
  const raw = query.get('sysparm_fields');
  if (raw === null || raw.trim() === '') return undefined;
  return raw
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '');
}

/**
 * `sysparm_query` plus name-value pair filters (`&active=true`), which the docs call an alternative to
 * the encoded query (A.2); both are honoured, ANDed, the pairs first so ORDERBY terms stay last.
 */
export function encodedQuery(query: URLSearchParams): string {
  const pairs: string[] = [];
  for (const [name, value] of query) {
    if (!name.startsWith('sysparm_') && name !== 'api_version') pairs.push(`${name}=${value}`);
  }
  const encoded = query.get('sysparm_query') ?? '';
  return [...pairs, encoded].filter((part) => part !== '').join('^');
}
