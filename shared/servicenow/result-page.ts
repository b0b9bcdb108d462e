/**
 * A reader for the one body shape that carries most of ServiceNow's bytes: a Table API page,
 * `{"result":[{"field":"value",...},...]}` with every value a string (references as sys_ids, no
 * whitespace). It gives the same value JSON.parse would, and answers `undefined` for anything else
 * (another shape, a number, an object, whitespace), which the caller then hands to JSON.parse.
 *
 * Why not JSON.parse alone: V8's JSON.parse interns every string value of up to 10 characters
 * ("INC0012345", "CHG0001234", short codes) into the string table, which lives in the old generation
 * and is only emptied by a full collection. Paging a large table therefore grows the old generation by
 * about 40 bytes per row until V8 decides on a full collection: 30-50 MB over a million incidents, so a
 * streamed export's peak memory still grew with the table. Values taken here are plain young strings
 * (slices of the page), which the next scavenge frees.
 */

const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const COLON = 58;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const CLOSE_BRACKET = 93;
const PREFIX = '{"result":[';

/** `key` as its interned string, so storing it on every row of a page needs no lookup of its own. */
const interned = (key: string): string => {
  const probe: Record<string, number> = {};
  probe[key] = 0;
  return Object.keys(probe)[0] as string;
};

/** The index of the quote that closes the string value whose first escaped quote candidate is `from`. */
const closingQuote = (text: string, from: number): number => {
  let end = from;
  while (end !== -1) {
    let before = end - 1;
    while (text.charCodeAt(before) === BACKSLASH) before -= 1;
    // An even run of backslashes before a quote escapes themselves, not the quote.
    if ((end - 1 - before) % 2 === 0) return end;
    end = text.indexOf('"', end + 1);
  }
  return -1;
};

/** `{ result: rows }` as JSON.parse would give it, or undefined when `text` is not a flat string page. */
export function parseResultPage(text: string): { result: Record<string, string>[] } | undefined {
  if (!text.startsWith(PREFIX)) return undefined;
  const rows: Record<string, string>[] = [];
  let at = PREFIX.length;
  if (text.charCodeAt(at) === CLOSE_BRACKET) {
    return text.length === at + 2 && text.charCodeAt(at + 1) === CLOSE_BRACE ? { result: rows } : undefined;
  }
  // Values before this index hold no escape; past it, the value is decoded by JSON.parse on its own.
  let nextBackslash = text.indexOf('\\', at);
  if (nextBackslash === -1) nextBackslash = text.length;
  // Rows of a page repeat their keys in the same order, so each is compared, not sliced and interned.
  const keys: string[] = [];
  for (;;) {
    if (text.charCodeAt(at) !== OPEN_BRACE) return undefined;
    at += 1;
    const row: Record<string, string> = {};
    if (text.charCodeAt(at) === CLOSE_BRACE) at += 1;
    else {
      for (let index = 0; ; index++) {
        if (text.charCodeAt(at) !== QUOTE) return undefined;
        let key = keys[index];
        let keyEnd: number;
        if (
          key !== undefined &&
          text.startsWith(key, at + 1) &&
          text.charCodeAt(at + 1 + key.length) === QUOTE
        ) {
          keyEnd = at + 1 + key.length;
        } else {
          keyEnd = text.indexOf('"', at + 1);
          if (keyEnd === -1 || keyEnd > nextBackslash) return undefined;
          key = text.slice(at + 1, keyEnd);
          // JSON.parse makes `__proto__` an own property; an assignment would set the prototype.
          if (key === '__proto__') return undefined;
          key = interned(key);
          keys[index] = key;
        }
        if (text.charCodeAt(keyEnd + 1) !== COLON || text.charCodeAt(keyEnd + 2) !== QUOTE) return undefined;
        const start = keyEnd + 3;
        let end = text.indexOf('"', start);
        if (end === -1) return undefined;
        let value: string;
        if (end < nextBackslash) value = text.slice(start, end);
        else {
          end = closingQuote(text, end);
          if (end === -1) return undefined;
          try {
            value = JSON.parse(text.slice(start - 1, end + 1)) as string;
          } catch {
            return undefined;
          }
          nextBackslash = text.indexOf('\\', end + 1);
          if (nextBackslash === -1) nextBackslash = text.length;
        }
        row[key] = value;
        at = end + 1;
        const next = text.charCodeAt(at);
        at += 1;
        if (next === CLOSE_BRACE) break;
        if (next !== COMMA) return undefined;
      }
    }
    rows.push(row);
    const next = text.charCodeAt(at);
    if (next === COMMA) at += 1;
    else if (next === CLOSE_BRACKET && text.charCodeAt(at + 1) === CLOSE_BRACE && text.length === at + 2) {
      return { result: rows };
    } else return undefined;
  }
}

/**
 * A copy of `value` that does not keep a page's text alive. A value read by parseResultPage is a slice
 * of the whole response (V8 shares the characters of slices of 13 or more), so anything kept after the
 * page is done, such as a paging cursor, is copied first.
 */
export const detached = (value: string): string => JSON.parse(JSON.stringify(value)) as string;
