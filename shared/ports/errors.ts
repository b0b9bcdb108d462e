import { InvalidInputError } from '../errors';

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
export class InvalidCursorError extends InvalidInputError {
  constructor(options?: { cause?: unknown }) {
    super('Invalid page token', options);
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

/** A multipart upload id that is unknown, aborted or already completed (S3 NoSuchUpload). */
export class NoSuchUploadError extends Error {
  constructor(options?: { cause?: unknown }) {
    super('The multipart upload does not exist (aborted or already completed)', options);
    this.name = 'NoSuchUploadError';
  }
}

/**
 * completeMultipartUpload was given a part that is missing, not the latest upload of its number (ETag
 * mismatch), out of order, or smaller than MIN_MULTIPART_PART_BYTES while not the last (S3 InvalidPart,
 * InvalidPartOrder, EntityTooSmall).
 */
export class InvalidPartError extends Error {
  constructor(reason: string, options?: { cause?: unknown }) {
    super(`Invalid multipart upload part: ${reason}`, options);
    this.name = 'InvalidPartError';
  }
}
