/**
 * Byte bound of a hub list page. A Lambda function answering API Gateway synchronously may return at
 * most 6 MB (6,291,456 bytes) of serialized result, and the body travels inside it as a JSON string, so
 * every `"` and `\` of the body counts twice. A page whose rows would pass MAX_LIST_PAGE_BYTES ends
 * early with a next-page token instead, leaving room for the headers and the result envelope.
 */
export const MAX_LIST_PAGE_BYTES = 5 * 1024 * 1024;

/** Bytes `json` (a serialized body) takes inside the serialized Lambda result: escaped, UTF-8. */
const payloadBytes = (json: string): number => Buffer.byteLength(JSON.stringify(json)) - 2;

/** The leading rows of a page that fit, and their JSON text (so the response is serialized once). */
export interface FittingRows {
  count: number;
  json: string;
}

/**
 * How many leading rows of `rows` fit in `maxBytes` once serialized as a JSON array and carried in a
 * Lambda result (at least one, so a page always moves forward), with their JSON. The common case costs
 * the one JSON.stringify the response needs anyway: a UTF-16 unit of serialized JSON never takes more
 * than 3 bytes in the result (UTF-8, or an escaped quote or backslash), so a text under a third of the
 * bound fits without measuring.
 */
export const rowsWithinBytes = (rows: readonly unknown[], maxBytes = MAX_LIST_PAGE_BYTES): FittingRows => {
  const json = JSON.stringify(rows);
  if (json.length * 3 <= maxBytes || payloadBytes(json) <= maxBytes) return { count: rows.length, json };
  const texts: string[] = [];
  let total = 2; // the brackets
  for (const row of rows) {
    const text = JSON.stringify(row);
    total += payloadBytes(text) + (texts.length === 0 ? 0 : 1);
    if (total > maxBytes && texts.length > 0) break;
    texts.push(text);
  }
  return { count: texts.length, json: `[${texts.join(',')}]` };
};
