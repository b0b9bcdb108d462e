/**
 * The JSONPath-like subset CE documented for `vendorPath`: optional `$.` prefix, dotted
 * keys, `[n]` indexes, `[key=value]` and `[?(@.key==value)]` filters (first match). `[*]` and functions
 * such as `.size()` are refused: they have no single place to write back to.
 */
export type Segment =
  | { kind: 'key'; key: string }
  | { kind: 'index'; index: number }
  | { kind: 'filter'; key: string; value: string };

const MAX_INDEX = 10_000;
const FORBIDDEN = new Set(['__proto__', 'prototype', 'constructor']);
const cache = new Map<string, Segment[]>();

export function parsePath(path: string): Segment[] {
  const cached = cache.get(path);
  if (cached) return cached;
  let rest = path.startsWith('$.') ? path.slice(2) : path;
  const segments: Segment[] = [];
  const token =
    /^(?:\.?([A-Za-z_][\w-]*)|\[(\d+)\]|\[\?\(@\.(\w+)==(?:'([^']*)'|"([^"]*)"|([\w.-]+))\)\]|\[(\w+)=(?:'([^']*)'|([\w.-]+))\])/;
  let first = true;
  while (rest.length > 0) {
    const m = token.exec(rest);
    if (!m || (first && m[0].startsWith('.'))) {
      throw new Error(`unsupported path '${path}' near '${rest}'`);
    }
    if (m[1] !== undefined) segments.push({ kind: 'key', key: m[1] });
    else if (m[2] !== undefined) {
      const index = Number(m[2]);
      if (index > MAX_INDEX) throw new Error(`index ${index} too large in '${path}' (max ${MAX_INDEX})`);
      segments.push({ kind: 'index', index });
    } else if (m[3] !== undefined)
      segments.push({ kind: 'filter', key: m[3], value: m[4] ?? m[5] ?? m[6] ?? '' });
    else segments.push({ kind: 'filter', key: m[7]!, value: m[8] ?? m[9] ?? '' });
    rest = rest.slice(m[0].length);
    first = false;
  }
  if (segments[0]?.kind !== 'key') throw new Error(`path '${path}' must start with a field name`);
  for (const segment of segments) {
    // Prototype keys would let a record write reach Object.prototype.
    if (segment.kind !== 'index' && FORBIDDEN.has(segment.key))
      throw new Error(`forbidden key '${segment.key}' in '${path}'`);
  }
  if (cache.size < 1000) cache.set(path, segments);
  return segments;
}

/** The top-level key a path starts with (used for passThrough bookkeeping). */
export const rootKey = (path: string): string => (parsePath(path)[0] as { key: string }).key;

/** A plain dotted path (`a.b.c`), i.e. one CEQL/ServiceNow can name. */
export const isDotted = (path: string): boolean => parsePath(path).every((s) => s.kind === 'key');

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function step(node: unknown, segment: Segment): unknown {
  if (segment.kind === 'key')
    return isRecord(node) && Object.hasOwn(node, segment.key) ? node[segment.key] : undefined;
  if (!Array.isArray(node)) return undefined;
  if (segment.kind === 'index') return node[segment.index];
  return node.find((item) => isRecord(item) && String(item[segment.key]) === segment.value);
}

/** undefined when any step is missing. */
export function getPath(record: unknown, path: string): unknown {
  let node = record;
  for (const segment of parsePath(path)) {
    node = step(node, segment);
    if (node === undefined) return undefined;
  }
  return node;
}

/** Creates objects/arrays on the way; a filter step creates `{key: value}` when no element matches. */
export function setPath(record: Record<string, unknown>, path: string, value: unknown): void {
  const segments = parsePath(path);
  let node: unknown = record;
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    const next = segments[i + 1];
    const fresh = () => (next && next.kind !== 'key' ? [] : {});
    if (segment.kind === 'key') {
      if (FORBIDDEN.has(segment.key)) throw new Error(`forbidden key '${segment.key}'`);
      const obj = node as Record<string, unknown>;
      if (last) obj[segment.key] = value;
      else {
        const expected = next?.kind === 'key' ? isRecord(obj[segment.key]) : Array.isArray(obj[segment.key]);
        if (!expected) obj[segment.key] = fresh();
        node = obj[segment.key];
      }
      return;
    }
    const arr = node as unknown[];
    let index =
      segment.kind === 'index'
        ? segment.index
        : arr.findIndex((item) => isRecord(item) && String(item[segment.key]) === segment.value);
    if (index < 0) {
      index = arr.length;
      arr.push(segment.kind === 'filter' ? { [segment.key]: segment.value } : undefined);
    }
    while (arr.length <= index) arr.push(null);
    if (last) arr[index] = value;
    else {
      const current = arr[index];
      const expected = next?.kind === 'key' ? isRecord(current) : Array.isArray(current);
      if (!expected) arr[index] = segment.kind === 'filter' ? { [segment.key]: segment.value } : fresh();
      node = arr[index];
    }
  });
}
