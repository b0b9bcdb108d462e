import { ElementError, type ElementErrorOptions } from './element-error';
import { type ErrorKind, HTTP_STATUS, httpStatusOfServiceNow } from './mapping';

/** An error that says what happened; its HTTP status comes from the one table in mapping.ts. */
export abstract class DomainError extends ElementError {
  abstract readonly kind: ErrorKind;
}

/** The request is malformed or names something that cannot be used. */
export class InvalidInputError extends DomainError {
  readonly kind = 'invalid-input';
  constructor(message: string, options?: ElementErrorOptions) {
    super(HTTP_STATUS['invalid-input'], message, options);
    this.name = 'InvalidInputError';
  }
}

/** The caller's credentials are missing, wrong or no longer valid. */
export class UnauthorizedError extends DomainError {
  readonly kind = 'unauthorized';
  constructor(
    message: string = 'Unauthorized - An invalid element token, user secret and/or org secret provided',
    options?: ElementErrorOptions,
  ) {
    super(HTTP_STATUS.unauthorized, message, options);
    this.name = 'UnauthorizedError';
  }
}

/** The caller is known but may not do this (a disabled instance, another user's resource). */
export class ForbiddenError extends DomainError {
  readonly kind = 'forbidden';
  constructor(message: string, options?: ElementErrorOptions) {
    super(HTTP_STATUS.forbidden, message, options);
    this.name = 'ForbiddenError';
  }
}

/** The resource does not exist (or is not the caller's). */
export class NotFoundError extends DomainError {
  readonly kind = 'not-found';
  constructor(message: string, options?: ElementErrorOptions) {
    super(HTTP_STATUS['not-found'], message, options);
    this.name = 'NotFoundError';
  }
}

/** The resource exists but does not take this method. */
export class MethodNotAllowedError extends DomainError {
  readonly kind = 'method-not-allowed';
  constructor(message: string, options?: ElementErrorOptions) {
    super(HTTP_STATUS['method-not-allowed'], message, options);
    this.name = 'MethodNotAllowedError';
  }
}

/** The request contradicts the current state (a duplicate, a job not in the right status). */
export class ConflictError extends DomainError {
  readonly kind = 'conflict';
  constructor(message: string, options?: ElementErrorOptions) {
    super(HTTP_STATUS.conflict, message, options);
    this.name = 'ConflictError';
  }
}

/** The resource existed but has expired. */
export class GoneError extends DomainError {
  readonly kind = 'gone';
  constructor(message: string, options?: ElementErrorOptions) {
    super(HTTP_STATUS.gone, message, options);
    this.name = 'GoneError';
  }
}

/** A body, file or field is over its limit. */
export class PayloadTooLargeError extends DomainError {
  readonly kind = 'payload-too-large';
  constructor(message: string, options?: ElementErrorOptions) {
    super(HTTP_STATUS['payload-too-large'], message, options);
    this.name = 'PayloadTooLargeError';
  }
}

/** The body's content type is not one this route reads. */
export class UnsupportedMediaTypeError extends DomainError {
  readonly kind = 'unsupported-media-type';
  constructor(message: string, options?: ElementErrorOptions) {
    super(HTTP_STATUS['unsupported-media-type'], message, options);
    this.name = 'UnsupportedMediaTypeError';
  }
}

/** Well-formed input that cannot be processed (a transformation that fails on it). */
export class UnprocessableError extends DomainError {
  readonly kind = 'unprocessable';
  constructor(message: string, options?: ElementErrorOptions) {
    super(HTTP_STATUS.unprocessable, message, options);
    this.name = 'UnprocessableError';
  }
}

/** Too many requests; Retry-After says when to come back. */
export class ThrottledError extends DomainError {
  readonly kind = 'throttled';
  constructor(message: string, options?: ElementErrorOptions) {
    super(HTTP_STATUS.throttled, message, options);
    this.name = 'ThrottledError';
  }
}

/** Our own state is inconsistent (missing parts, missing credentials): not the caller's fault. */
export class InternalError extends DomainError {
  readonly kind = 'internal';
  constructor(message: string, options?: ElementErrorOptions) {
    super(HTTP_STATUS.internal, message, options);
    this.name = 'InternalError';
  }
}

/** ServiceNow could not be reached or answered something unusable. */
export class BadUpstreamError extends DomainError {
  readonly kind = 'bad-upstream';
  constructor(message: string, options?: ElementErrorOptions) {
    super(HTTP_STATUS['bad-upstream'], message, options);
    this.name = 'BadUpstreamError';
  }
}

/** A part of this deployment is missing or did not accept the work; try again later. */
export class UnavailableError extends DomainError {
  readonly kind = 'unavailable';
  constructor(message: string, options?: ElementErrorOptions) {
    super(HTTP_STATUS.unavailable, message, options);
    this.name = 'UnavailableError';
  }
}

/** ServiceNow, or the work as a whole, did not finish in time. */
export class TimedOutError extends DomainError {
  readonly kind = 'timed-out';
  constructor(message: string, options?: ElementErrorOptions) {
    super(HTTP_STATUS['timed-out'], message, options);
    this.name = 'TimedOutError';
  }
}

/**
 * ServiceNow refused the request or failed with `providerStatus`; its status for the caller comes from
 * httpStatusOfServiceNow (client errors pass through, failures become 502 or 504).
 */
export class ServiceNowRefusedError extends ElementError {
  readonly providerStatus: number;
  constructor(providerStatus: number, message: string, options?: ElementErrorOptions) {
    super(httpStatusOfServiceNow(providerStatus), message, options);
    this.name = 'ServiceNowRefusedError';
    this.providerStatus = providerStatus;
  }
}
