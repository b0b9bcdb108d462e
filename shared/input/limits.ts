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
