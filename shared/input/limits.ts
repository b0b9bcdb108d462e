/**
 * Limits on what a caller may send, in one place: every parser of untrusted input reads them from
 * here, and the README's "Limits" table lists them.
 */

/**
 * Deepest nesting of arrays and objects in a JSON document a caller sends (request bodies, `metaData`
 * fields, configuration values given as JSON text, rows of a bulk upload). Far beyond any real
 * document, and far below what the recursive walks behind the parser (validation, transformations,
 * sanitizing) survive: a stack overflow answers 500 instead of the 400 it deserves.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Largest JSON request body. Requests carry records, configurations and job specifications, all far
 * smaller; files travel as multipart or through presigned URLs, which have their own limits.
 */
export const MAX_JSON_BODY_BYTES = 1024 * 1024;

/**
 * Longest path and query string of a request to ServiceNow, 8 KiB: the request-line limit common to
 * web servers (Apache 8,190 bytes, nginx 8 KiB). ServiceNow repeats the whole query in each of the up
 * to four URLs of its `Link` header, so a longer query would also overflow the response headers a
 * client reads. A `where` (or bulk query) that would need more is a 400 saying so, before any call.
 */
export const MAX_SERVICENOW_URL_BYTES = 8 * 1024;

/**
 * Response headers read from ServiceNow: the `Link` header's four URLs of up to
 * MAX_SERVICENOW_URL_BYTES each (plus the instance's origin) and the rest of the headers.
 */
export const MAX_SERVICENOW_RESPONSE_HEADER_BYTES = 64 * 1024;

/** Longest callback URL taken (bulk `notificationUrl`, `event.notification.callback.url`). */
export const MAX_CALLBACK_URL_LENGTH = 2048;
