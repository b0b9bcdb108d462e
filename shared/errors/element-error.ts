/**
 * The base of every error a caller may see: a message written for the caller, ServiceNow's own words
 * when it said something, and the HTTP status it is rendered with. Code throws the domain errors of
 * domain-errors.ts, which say what happened; mapping.ts decides their status and whether to retry.
 */
export interface ElementErrorOptions {
  /** ServiceNow's own message/detail, kept verbatim so callers can act on it. Never a secret. */
  providerMessage?: string;
  /** Extra response headers, e.g. Retry-After on 429. */
  headers?: Record<string, string>;
  cause?: unknown;
}

export class ElementError extends Error {
  readonly status: number;
  readonly providerMessage: string | undefined;
  readonly headers: Record<string, string>;

  constructor(status: number, message: string, options: ElementErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ElementError';
    this.status = status;
    this.providerMessage = options.providerMessage;
    this.headers = options.headers ?? {};
  }
}

export const isElementError = (value: unknown): value is ElementError => value instanceof ElementError;
