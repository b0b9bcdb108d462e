import { ElementError, type ElementErrorOptions } from './element-error';
import { type ErrorKind, HTTP_STATUS, httpStatusOfServiceNow } from './mapping';

/** An error that says what happened; its HTTP status comes from the one table in mapping.ts. */
export abstract class DomainError extends ElementError {
  abstract readonly kind: ErrorKind;
}

/** The base class of the domain errors of one kind (`name` survives minified bundles). */
const errorOfKind = <K extends ErrorKind>(kind: K, name: string) =>
  class extends DomainError {
    readonly kind: K = kind;
    constructor(message: string, options?: ElementErrorOptions) {
      super(HTTP_STATUS[kind], message, options);
      this.name = name;
    }
  };

/** The request is malformed or names something that cannot be used. */
export class InvalidInputError extends errorOfKind('invalid-input', 'InvalidInputError') {}

/** The caller's credentials are missing, wrong or no longer valid. */
export class UnauthorizedError extends errorOfKind('unauthorized', 'UnauthorizedError') {
  constructor(
    message = 'Unauthorized - An invalid element token, user secret and/or org secret provided',
    options?: ElementErrorOptions,
  ) {
    super(message, options);
  }
}

/** The caller is known but may not do this (a disabled instance, another user's resource). */
export class ForbiddenError extends errorOfKind('forbidden', 'ForbiddenError') {}

/** The resource does not exist (or is not the caller's). */
export class NotFoundError extends errorOfKind('not-found', 'NotFoundError') {}

/** The resource exists but does not take this method. */
export class MethodNotAllowedError extends errorOfKind('method-not-allowed', 'MethodNotAllowedError') {}

/** The request contradicts the current state (a duplicate, a job not in the right status). */
export class ConflictError extends errorOfKind('conflict', 'ConflictError') {}

/** The resource existed but has expired. */
export class GoneError extends errorOfKind('gone', 'GoneError') {}

/** A body, file or field is over its limit. */
export class PayloadTooLargeError extends errorOfKind('payload-too-large', 'PayloadTooLargeError') {}

/** The body's content type is not one this route reads. */
export class UnsupportedMediaTypeError extends errorOfKind(
  'unsupported-media-type',
  'UnsupportedMediaTypeError',
) {}

/** Well-formed input that cannot be processed (a transformation that fails on it). */
export class UnprocessableError extends errorOfKind('unprocessable', 'UnprocessableError') {}

/** Too many requests; Retry-After says when to come back. */
export class ThrottledError extends errorOfKind('throttled', 'ThrottledError') {}

/** Our own state is inconsistent (missing parts, missing credentials): not the caller's fault. */
export class InternalError extends errorOfKind('internal', 'InternalError') {}

/** ServiceNow could not be reached or answered something unusable. */
export class BadUpstreamError extends errorOfKind('bad-upstream', 'BadUpstreamError') {}

/** A part of this deployment is missing or did not accept the work; try again later. */
export class UnavailableError extends errorOfKind('unavailable', 'UnavailableError') {}

/** ServiceNow, or the work as a whole, did not finish in time. */
export class TimedOutError extends errorOfKind('timed-out', 'TimedOutError') {}

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
