/**
 * ServiceNow error envelopes, verbatim where a real body was observed on an
 * instance (unknown table, ACL denial, transaction quota, rate limit). Shape: `{"error":{"message":"…","detail":"…"|null},"status":"failure"}`.
 */

export interface ErrorEnvelope {
  error: { message: string; detail: string | null };
  status: 'failure';
}

export interface SimError {
  status: number;
  body: ErrorEnvelope;
}

export function envelope(status: number, message: string, detail: string | null): SimError {
  return { status, body: { error: { message, detail }, status: 'failure' } };
}

/** A.4: no or invalid credentials. */
export const notAuthenticated = (): SimError =>
  envelope(401, 'User Not Authenticated', 'Required to provide Auth information');

/** A.4: record missing or hidden by an ACL (both look the same). */
export const noRecordFound = (): SimError =>
  envelope(404, 'No Record found', "Record doesn't exist or ACL restricts the record retrieval");

/** A.4: unknown table; detail `null` is one of the two observed variants. */
export const invalidTable = (table: string): SimError => envelope(400, `Invalid table ${table}`, null);

/** A.4 / pysnow#100: sysparm_limit <= 0 (or not an integer). */
export const invalidLimit = (): SimError =>
  envelope(400, 'Invalid value given for sysparm_limit', 'sysparm_limit value must be a positive integer');

/** C.8: rate-limit rule exceeded (429). */
export const rateLimitExceeded = (): SimError =>
  envelope(429, 'Rate limit exceeded', 'Rate limit of 100 requests per hour for Table API exceeded');

/** A.4 / sndml3#38: 60 s transaction quota; status 500 is inferred. */
export const transactionCancelled = (): SimError =>
  envelope(
    500,
    'Transaction cancelled: maximum execution time exceeded',
    'Transaction cancelled: maximum execution time exceeded Check logs for error trace or enable glide.rest.debug property to verify REST request processing',
  );

/** A.4: URI that matches no API ([UNVERIFIED] text, seen in a Go client's string match). */
export const unknownResource = (): SimError =>
  envelope(400, 'Requested URI does not represent any resource', null);

/** 405 for a verb the resource does not support ([UNVERIFIED] text). */
export const methodNotSupported = (method: string): SimError =>
  envelope(405, 'Method not Supported', `HTTP method ${method} is not supported by this resource`);

/** Unparseable JSON request body ([UNVERIFIED] text). */
/** A.4: 403 from a read ACL on a list (detail null) or a business rule / data policy on a write. */
export const insufficientRights = (detail: string | null = null): SimError =>
  envelope(403, 'Insufficient rights to query records', detail);

export const invalidJson = (): SimError =>
  envelope(400, 'Exception while reading request', 'The payload is not valid JSON.');

/** Generic 5xx for injected server faults ([UNVERIFIED] texts; real 502/503 often come from a proxy). */
export function serverError(status: 500 | 502 | 503): SimError {
  const message = { 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable' }[status];
  return envelope(status, message, null);
}

/** A.4: a hibernating developer instance answers 200 with an HTML page instead of JSON. */
export const HIBERNATING_HTML = `<!DOCTYPE html>
<html><head><title>Instance Hibernating page</title></head>
<body><h1>Your instance is hibernating</h1>
<p>Developer instances hibernate after a period of inactivity. Sign in to the developer portal to wake it up.</p>
</body></html>
`;

/** C.5: failed token call ([FIELD] demisto/content-docs#1301). */
export const OAUTH_ACCESS_DENIED = { error_description: 'access_denied', error: 'server_error' } as const;

export function oauthError(error: string, description: string): { error: string; error_description: string } {
  return { error_description: description, error };
}
