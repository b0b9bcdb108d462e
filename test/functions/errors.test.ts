import { describe, expect, it } from 'vitest';
import {
  BadUpstreamError,
  ConflictError,
  ElementError,
  InvalidInputError,
  isRetryable,
  NotFoundError,
  ServiceNowRefusedError,
  ThrottledError,
  TimedOutError,
  toElementError,
  UnauthorizedError,
} from '../../shared/errors';

describe('domain errors and their one mapping', () => {
  it.each([
    [new InvalidInputError('x'), 400, 'invalid-input'],
    [new UnauthorizedError(), 401, 'unauthorized'],
    [new NotFoundError('x'), 404, 'not-found'],
    [new ConflictError('x'), 409, 'conflict'],
    [new ThrottledError('x'), 429, 'throttled'],
    [new BadUpstreamError('x'), 502, 'bad-upstream'],
    [new TimedOutError('x'), 504, 'timed-out'],
  ])('%s has the status of its kind', (error, status, kind) => {
    expect(error).toBeInstanceOf(ElementError);
    expect(error.status).toBe(status);
    expect(error.kind).toBe(kind);
  });

  it('keeps the default 401 message the API has always answered', () => {
    expect(new UnauthorizedError().message).toBe(
      'Unauthorized - An invalid element token, user secret and/or org secret provided',
    );
  });

  it.each([
    [400, 400],
    [404, 404],
    [429, 429],
    [500, 502],
    [503, 502],
    [504, 504],
    [302, 502],
  ])('a ServiceNow %i is answered with %i', (providerStatus, status) => {
    const error = new ServiceNowRefusedError(providerStatus, 'refused');
    expect(error.status).toBe(status);
    expect(error.providerStatus).toBe(providerStatus);
  });

  it('retries infrastructure failures, never domain outcomes', () => {
    expect(isRetryable(new Error('table unreachable'))).toBe(true);
    expect(isRetryable(new NotFoundError('gone'))).toBe(false);
    expect(isRetryable(new ServiceNowRefusedError(503, 'down'))).toBe(false);
  });

  it('maps anything else to a bare 500 and validation errors to 400', () => {
    expect(toElementError(new Error('SELECT * leaked')).message).toBe('Internal server error');
    const zodLike = Object.assign(new Error('bad'), {
      name: 'ZodError',
      issues: [{ path: ['a'], message: 'm' }],
    });
    expect(toElementError(zodLike)).toMatchObject({ status: 400, message: 'Invalid request: a: m' });
  });
});
