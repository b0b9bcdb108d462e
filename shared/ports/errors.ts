import { ElementError } from '../errors';

/**
 * A conditional write (`ifNotExists`, `ifVersion`, `ifExists`) did not hold. Callers catch this to
 * retry an optimistic-lock loop or to treat "already exists" as a normal outcome.
 */
export class ConditionFailedError extends Error {
  constructor(message = 'The conditional request failed', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConditionFailedError';
  }
}

/**
 * A paging cursor that this store did not produce (or that was tampered with). It usually comes from
 * a caller's page token, so it is a 400 for the API.
 */
export class InvalidCursorError extends ElementError {
  constructor(options?: { cause?: unknown }) {
    super(400, 'Invalid page token', options);
    this.name = 'InvalidCursorError';
  }
}

/** A secret name, blob key or schedule name that could escape its namespace or that a backend rejects. */
export class InvalidNameError extends Error {
  constructor(kind: string, reason: string) {
    // The offending name is left out on purpose: it may be derived from user input or secret material.
    super(`Invalid ${kind}: ${reason}`);
    this.name = 'InvalidNameError';
  }
}

/** DynamoDB refuses items over 400 KB; the local table enforces the same limit so nothing works only locally. */
export class ItemTooLargeError extends Error {
  constructor(options?: { cause?: unknown }) {
    super('State item exceeds the 400 KB item size limit', options);
    this.name = 'ItemTooLargeError';
  }
}
