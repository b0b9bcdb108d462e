import { describe, expect, it } from 'vitest';
import { newRequestId, response, withMiddleware } from '../../functions/middleware';
import type { ApiEvent } from '../../functions/middleware/types';
import { ElementError } from '../../shared/errors';
import { createLogger } from '../../shared/logging';
import * as z from '../../shared/validation/zod';
import { captureOutput } from './capture-logs';
import { httpEvent, jsonBodyOf, lambdaContext } from './factories';

const silent = createLogger({ logLevel: 'SILENT' });

/** A handler that echoes what it received, wrapped like every Lambda entry. */
const echo = (options: Parameters<typeof withMiddleware>[1] = {}) =>
  withMiddleware(async (event: ApiEvent) => ({ jsonBody: event.jsonBody, body: event.body ?? null }), {
    logger: silent,
    ...options,
  });

const invoke = (handler: ReturnType<typeof withMiddleware>, event = httpEvent()) =>
  handler(event, lambdaContext());

describe('request ids', () => {
  it('makes new ids of 24 hex characters, all different, also across refills of the random pool', () => {
    const ids = Array.from({ length: 1000 }, () => newRequestId());
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{24}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("reuses API Gateway's request id and stamps it on the response", async () => {
    const result = await invoke(echo(), httpEvent({ requestId: 'Abc123RequestId=' }));
    expect(result.headers?.['Elements-Request-Id']).toBe('Abc123RequestId=');
  });

  it('generates a 24-hex id when the event has none', async () => {
    const event = httpEvent();
    event.requestContext.requestId = '';
    const result = await invoke(echo(), event);
    expect(result.headers?.['Elements-Request-Id']).toMatch(/^[0-9a-f]{24}$/);
  });

  it('carries the id on error responses, in the header and the body', async () => {
    const failing = withMiddleware(
      async () => {
        throw new ElementError(404, 'No such instance');
      },
      { logger: silent },
    );
    const result = await invoke(failing, httpEvent({ requestId: 'req-1' }));
    expect(result.headers?.['Elements-Request-Id']).toBe('req-1');
    expect(jsonBodyOf(result)).toEqual({ requestId: 'req-1', message: 'No such instance' });
  });
});

describe('JSON request bodies', () => {
  it('parses a JSON body into event.jsonBody and keeps the raw body', async () => {
    const result = await invoke(echo(), httpEvent({ method: 'POST', body: '{"name":"demo","n":1}' }));
    expect(result.statusCode).toBe(200);
    expect(jsonBodyOf(result)).toEqual({ jsonBody: { name: 'demo', n: 1 }, body: '{"name":"demo","n":1}' });
  });

  it('accepts JSON with a charset and +json media types', async () => {
    for (const contentType of ['application/json; charset=utf-8', 'application/merge-patch+json']) {
      const result = await invoke(echo(), httpEvent({ method: 'PATCH', body: '[1,2]', contentType }));
      expect(jsonBodyOf(result)).toMatchObject({ jsonBody: [1, 2] });
    }
  });

  it('decodes base64-encoded JSON bodies', async () => {
    const result = await invoke(echo(), httpEvent({ method: 'POST', body: Buffer.from('{"a":"é"}') }));
    expect(jsonBodyOf(result)).toMatchObject({ jsonBody: { a: 'é' } });
  });

  it('reads a body without Content-Type as JSON', async () => {
    const result = await invoke(echo(), httpEvent({ method: 'POST', body: '{"a":1}', contentType: null }));
    expect(jsonBodyOf(result)).toMatchObject({ jsonBody: { a: 1 } });
  });

  it('answers 400 to malformed JSON without echoing the body', async () => {
    const result = await invoke(echo(), httpEvent({ method: 'POST', body: '{"password": "hunter2"' }));
    expect(result.statusCode).toBe(400);
    expect(jsonBodyOf(result)).toEqual({
      requestId: 'JKJaXmPLvHcESHA=',
      message: 'Malformed JSON in request body',
    });
    expect(result.body).not.toContain('hunter2');
  });

  it('answers 415 to a body of a type the route does not take', async () => {
    const result = await invoke(echo(), httpEvent({ method: 'POST', body: 'a,b', contentType: 'text/csv' }));
    expect(result.statusCode).toBe(415);
    expect(jsonBodyOf(result)).toMatchObject({ message: expect.stringContaining('text/csv') });
  });

  it('passes declared non-JSON types through untouched', async () => {
    const handler = echo({ acceptedContentTypes: ['text/csv'] });
    const result = await invoke(
      handler,
      httpEvent({ method: 'POST', body: 'a,b\n1,2', contentType: 'text/csv' }),
    );
    expect(result.statusCode).toBe(200);
    expect(jsonBodyOf(result)).toEqual({ body: 'a,b\n1,2' });
  });

  it('ignores Content-Type when there is no body', async () => {
    const event = httpEvent({ method: 'DELETE', headers: { 'content-type': 'text/plain' } });
    expect((await invoke(echo(), event)).statusCode).toBe(200);
  });
});

describe('responses', () => {
  it('sends a plain object as 200 JSON', async () => {
    const result = await invoke(withMiddleware(async () => ({ ok: true }), { logger: silent }));
    expect(result).toMatchObject({ statusCode: 200, headers: { 'Content-Type': 'application/json' } });
    expect(jsonBodyOf(result)).toEqual({ ok: true });
  });

  it('keeps an explicit status, headers and cookies', async () => {
    const handler = withMiddleware(
      async () => ({ ...response(201, { id: 7 }, { Location: '/instances/7' }), cookies: ['a=1'] }),
      { logger: silent },
    );
    const result = await invoke(handler);
    expect(result).toMatchObject({
      statusCode: 201,
      headers: { Location: '/instances/7' },
      cookies: ['a=1'],
    });
    expect(jsonBodyOf(result)).toEqual({ id: 7 });
  });

  it('sends strings as they are and Buffers base64-encoded', async () => {
    const text = await invoke(
      withMiddleware(async () => response(200, 'a,b', { 'Content-Type': 'text/csv' }), { logger: silent }),
    );
    expect(text).toMatchObject({ body: 'a,b', headers: { 'Content-Type': 'text/csv' } });
    const binary = await invoke(
      withMiddleware(async () => response(200, Buffer.from([0, 255])), { logger: silent }),
    );
    expect(binary).toMatchObject({ body: 'AP8=', isBase64Encoded: true });
  });

  it('answers 204 when the handler returns nothing', async () => {
    const result = await invoke(withMiddleware(async () => undefined, { logger: silent }));
    expect(result.statusCode).toBe(204);
    expect(result.body).toBeUndefined();
  });
});

describe('errors', () => {
  it('renders an ElementError with its status, headers and providerMessage', async () => {
    const handler = withMiddleware(
      async () => {
        throw new ElementError(429, 'Too many requests', {
          providerMessage: 'Rate limit exceeded',
          headers: { 'Retry-After': '7' },
        });
      },
      { logger: silent },
    );
    const result = await invoke(handler, httpEvent({ requestId: 'r' }));
    expect(result.statusCode).toBe(429);
    expect(result.headers).toMatchObject({ 'Retry-After': '7', 'Elements-Request-Id': 'r' });
    expect(jsonBodyOf(result)).toEqual({
      requestId: 'r',
      message: 'Too many requests',
      providerMessage: 'Rate limit exceeded',
    });
  });

  it('turns validation errors into 400 listing every issue', async () => {
    const schema = z.object({ name: z.string(), configuration: z.object({ port: z.number() }) });
    const handler = withMiddleware(async (event: ApiEvent) => schema.parse(event.jsonBody), {
      logger: silent,
    });
    const result = await invoke(
      handler,
      httpEvent({ method: 'POST', body: '{"configuration":{"port":"x"}}' }),
    );
    expect(result.statusCode).toBe(400);
    const { message } = jsonBodyOf(result) as { message: string };
    expect(message).toContain('name');
    expect(message).toContain('configuration.port');
  });

  it('hides the details of unexpected errors behind a 500', async () => {
    const handler = withMiddleware(
      async () => {
        throw new Error('connect ECONNREFUSED 10.0.0.7:5432 password=hunter2');
      },
      { logger: silent },
    );
    const result = await invoke(handler, httpEvent({ requestId: 'r5' }));
    expect(result.statusCode).toBe(500);
    expect(jsonBodyOf(result)).toEqual({ requestId: 'r5', message: 'Internal server error' });
  });

  it('answers 504 when the handler would outlive the Lambda timeout', async () => {
    const slow = withMiddleware(() => new Promise((resolve) => setTimeout(resolve, 500)), { logger: silent });
    const result = await slow(
      httpEvent({ requestId: 't' }),
      lambdaContext({ getRemainingTimeInMillis: () => 30 }),
    );
    expect(result.statusCode).toBe(504);
    expect(jsonBodyOf(result)).toEqual({ requestId: 't', message: 'The request timed out' });
  });

  it('logs unexpected errors without the secrets they mention', async () => {
    const logger = createLogger({ logLevel: 'INFO' });
    const handler = withMiddleware(
      async () => {
        throw new Error('login failed for Basic YWRtaW46aHVudGVyMg== with password=hunter2');
      },
      { logger },
    );
    const output = await captureOutput(async () => {
      await invoke(
        handler,
        httpEvent({ headers: { authorization: 'User user-secret-value, Organization org-secret-value' } }),
      );
    });
    expect(output).toContain('Internal server error');
    expect(output).toContain('login failed');
    for (const secret of ['YWRtaW46aHVudGVyMg==', 'hunter2', 'user-secret-value', 'org-secret-value']) {
      expect(output).not.toContain(secret);
    }
  });
});

describe('route auth (rendering the authorizer decision)', () => {
  const CE_401 = 'Unauthorized - An invalid element token, user secret and/or org secret provided';
  /** Echoes the identity the middleware set, so tests see exactly what a handler would. */
  const guarded = (auth: 'platform' | 'hub') =>
    withMiddleware(async (event: ApiEvent) => ({ identity: event.identity ?? null }), {
      logger: silent,
      auth,
    });
  const withContext = (authorizer?: Record<string, string>, extra: Parameters<typeof httpEvent>[0] = {}) =>
    httpEvent({ method: 'GET', path: '/instances', ...(authorizer ? { authorizer } : {}), ...extra });

  it('sets event.identity from an allow for a platform route', async () => {
    const result = await invoke(
      guarded('platform'),
      withContext({ outcome: 'allow', kind: 'platform', userId: 'alice' }),
    );
    expect(result.statusCode).toBe(200);
    expect(jsonBodyOf(result)).toEqual({ identity: { userId: 'alice' } });
  });

  it('sets the numeric instance id for a hub route', async () => {
    const result = await invoke(
      guarded('hub'),
      withContext({ outcome: 'allow', kind: 'hub', userId: 'bob', instanceId: '42' }),
    );
    expect(result.statusCode).toBe(200);
    expect(jsonBodyOf(result)).toEqual({ identity: { userId: 'bob', instanceId: 42 } });
  });

  it('renders a deny as the status and message the authorizer chose, with the request id', async () => {
    const result = await invoke(
      guarded('hub'),
      withContext({ outcome: 'deny', status: '401', message: CE_401 }, { requestId: 'deny-1' }),
    );
    expect(result.statusCode).toBe(401);
    expect(result.headers?.['Elements-Request-Id']).toBe('deny-1');
    expect(jsonBodyOf(result)).toEqual({ requestId: 'deny-1', message: CE_401 });
  });

  it.each([
    ['no authorizer context at all', undefined],
    ['a hub identity on a platform route', { outcome: 'allow', kind: 'hub', userId: 'a', instanceId: '1' }],
    ['an unknown outcome', { outcome: 'maybe', kind: 'platform', userId: 'a' }],
    ['a missing user id', { outcome: 'allow', kind: 'platform' }],
    ['a user id with odd characters', { outcome: 'allow', kind: 'platform', userId: 'a b' }],
  ] as [string, Record<string, string> | undefined][])(
    'answers 401 with the CE message for %s',
    async (_, context) => {
      const result = await invoke(guarded('platform'), withContext(context));
      expect(result.statusCode).toBe(401);
      expect(jsonBodyOf(result)).toEqual({ requestId: 'JKJaXmPLvHcESHA=', message: CE_401 });
    },
  );

  it.each([
    ['a platform identity on a hub route', { outcome: 'allow', kind: 'platform', userId: 'a' }],
    ['a hub identity without instance', { outcome: 'allow', kind: 'hub', userId: 'a' }],
    ['a non-numeric instance id', { outcome: 'allow', kind: 'hub', userId: 'a', instanceId: '1; drop' }],
  ] as [string, Record<string, string>][])('answers 401 on a hub route for %s', async (_, context) => {
    const result = await invoke(guarded('hub'), withContext(context));
    expect(result.statusCode).toBe(401);
  });

  it('never trusts the Authorization header alone: right-looking secrets without a context are refused', async () => {
    const event = withContext(undefined, {
      headers: { authorization: 'User user-secret-value-5678, Organization org-secret-value-1234' },
    });
    expect((await invoke(guarded('platform'), event)).statusCode).toBe(401);
  });

  it('renders the decision before looking at the body', async () => {
    const event = httpEvent({ method: 'POST', path: '/instances', body: '{bad json' });
    expect((await invoke(guarded('platform'), event)).statusCode).toBe(401);
  });

  it('leaves public routes without an identity', async () => {
    const result = await invoke(
      withMiddleware(async (event: ApiEvent) => ({ identity: event.identity ?? null }), { logger: silent }),
      withContext({ outcome: 'deny', status: '401', message: CE_401 }),
    );
    expect(result.statusCode).toBe(200);
    expect(jsonBodyOf(result)).toEqual({ identity: null });
  });
});
