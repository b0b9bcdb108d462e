import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalServerHandle, startLocalServer, textBytes } from '../../functions/local';
import { type ApiEvent, response, withMiddleware } from '../../functions/middleware';
import { createLogger } from '../../shared/logging';
import { captureOutput } from '../functions/capture-logs';

const ORG = 'local-org-secret-0123456789';
const USER = 'local-user-secret-9876543210';
const AUTHORIZATION = `User ${USER}, Organization ${ORG}`;
const silent = createLogger({ logLevel: 'SILENT' });

/** Test-only routes; the product's ROUTES are served too. */
const extraRoutes = [
  { method: 'POST', path: '/test/echo', functionName: 'echo', auth: 'platform' as const },
  { method: 'GET', path: '/test/event/{id}', functionName: 'event' },
  { method: 'GET', path: '/test/files/{proxy+}', functionName: 'event' },
  { method: 'PUT', path: '/test/binary', functionName: 'binary' },
  { method: 'GET', path: '/test/crash', functionName: 'crash' },
];

const extraHandlers = {
  // Platform secrets come from the environment startLocalServer sets, as in local mode.
  echo: withMiddleware(async (event: ApiEvent) => ({ received: event.jsonBody }), {
    auth: 'platform',
    logger: silent,
  }),
  event: withMiddleware(async (event: ApiEvent) => ({ ...event }), { logger: silent }),
  binary: withMiddleware(
    async (event: ApiEvent) =>
      response(200, Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8'), {
        'Content-Type': 'application/octet-stream',
      }),
    { logger: silent, acceptedContentTypes: ['application/octet-stream'] },
  ),
  crash: async () => {
    throw new Error('handler crashed outside its middlewares: secret path /etc/x');
  },
};

let server: LocalServerHandle;
beforeAll(async () => {
  server = await startLocalServer({
    env: { ELEMENT_ORGANIZATION_SECRET: ORG, ELEMENT_USER_SECRET: USER },
    extraRoutes,
    extraHandlers,
    logger: silent,
  });
});
afterAll(() => server?.close());

const expectErrorShape = async (res: Response, status: number) => {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/json');
  const requestId = res.headers.get('elements-request-id');
  expect(requestId).toMatch(/^[0-9a-f]{24}$/);
  const body = (await res.json()) as Record<string, unknown>;
  expect(Object.keys(body).sort()).toEqual(['message', 'requestId']);
  expect(body.requestId).toBe(requestId);
  expect(body.message).toEqual(expect.any(String));
  return body;
};

describe('local API server', () => {
  it('answers GET /ping with status, time and version', async () => {
    const res = await fetch(`${server.url}/ping`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('elements-request-id')).toMatch(/^[0-9a-f]{24}$/);
    const body = (await res.json()) as { status: string; dateTime: string; version: string };
    expect(body.status).toBe('ok');
    expect(new Date(body.dateTime).toISOString()).toBe(body.dateTime);
    expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('answers 404 to unknown routes and to paths outside the base path', async () => {
    // Deeper than any route template (the hub's generic `/{objectName}/...` routes catch shallower paths).
    await expectErrorShape(await fetch(`${server.url}/a/b/c/d/e/f/g/h/i`), 404);
    await expectErrorShape(await fetch(`${server.origin}/ping`), 404);
  });

  it('answers 405 with Allow to a known path with the wrong verb', async () => {
    const res = await fetch(`${server.url}/instances/1/enabled`, { method: 'PATCH' });
    expect(res.headers.get('allow')?.split(/,\s*/).sort()).toEqual(['DELETE', 'PUT']);
    await expectErrorShape(res, 405);
  });

  it('answers 401 without or with wrong Authorization', async () => {
    const post = (headers: Record<string, string>) =>
      fetch(`${server.url}/test/echo`, { method: 'POST', headers, body: '{}' });
    await expectErrorShape(await post({ 'Content-Type': 'application/json' }), 401);
    await expectErrorShape(
      await post({ 'Content-Type': 'application/json', Authorization: `User ${USER}, Organization wrong` }),
      401,
    );
  });

  it('passes an authorized JSON body to the handler', async () => {
    const res = await fetch(`${server.url}/test/echo`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: AUTHORIZATION },
      body: '{"name":"demo"}',
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: { name: 'demo' } });
  });

  it('answers 400 to malformed JSON and 415 to other content types', async () => {
    const post = (contentType: string, body: string) =>
      fetch(`${server.url}/test/echo`, {
        method: 'POST',
        headers: { 'Content-Type': contentType, Authorization: AUTHORIZATION },
        body,
      });
    await expectErrorShape(await post('application/json', '{"name":'), 400);
    await expectErrorShape(await post('application/x-www-form-urlencoded', 'name=demo'), 415);
  });

  it('answers 413 to a body over 10 MB', async () => {
    const res = await fetch(`${server.url}/test/echo`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: AUTHORIZATION },
      body: Buffer.alloc(10 * 1024 * 1024 + 1, 0x20),
    });
    await expectErrorShape(res, 413);
  });

  it('answers 413 to an oversized chunked body too', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${server.url}/test/echo`, {
        method: 'POST',
        headers: { Authorization: AUTHORIZATION },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      for (let index = 0; index < 11; index++) req.write(chunk);
      req.end();
    });
    expect(status).toBe(413);
  });

  it('reads a small chunked body and answers non-ASCII JSON with its UTF-8 byte length', async () => {
    const sent = { text: 'café ☕ 😀 naïve', plain: 'ascii only' };
    const answer = await new Promise<{ status: number; length: string | undefined; body: string }>(
      (resolve, reject) => {
        const req = httpRequest(`${server.url}/test/echo`, {
          method: 'POST',
          headers: { Authorization: AUTHORIZATION, 'Content-Type': 'application/json' },
        });
        req.on('response', (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              length: res.headers['content-length'],
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
        });
        req.on('error', reject);
        // No Content-Length: Node sends Transfer-Encoding: chunked, in two chunks.
        const text = Buffer.from(JSON.stringify(sent));
        req.write(text.subarray(0, 7));
        req.end(text.subarray(7));
      },
    );
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ received: sent });
    expect(Number(answer.length)).toBe(Buffer.byteLength(answer.body));
  });

  it('serves body-less requests one after another on one keep-alive connection', async () => {
    const agent = new HttpAgent({ keepAlive: true, maxSockets: 1 });
    try {
      const get = () =>
        new Promise<{ status: number; body: string; socket: unknown }>((resolve, reject) => {
          const req = httpRequest(`${server.url}/test/event/k?q=1`, { agent }, (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => {
              body += chunk;
            });
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body, socket: req.socket }));
          });
          req.on('error', reject);
          req.end();
        });
      const first = await get();
      const second = await get();
      expect([first.status, second.status]).toEqual([200, 200]);
      expect(second.socket).toBe(first.socket);
      const event = JSON.parse(second.body) as ApiEvent;
      expect(event.body).toBeUndefined();
      expect(event.pathParameters).toEqual({ id: 'k' });
    } finally {
      agent.destroy();
    }
  });

  it('builds the API Gateway v2 event: path parameters, query, cookies, lower-cased headers', async () => {
    const res = await fetch(`${server.url}/test/event/a%20b?x=1&x=2&y=`, {
      headers: { 'X-Custom': 'v', Cookie: 'a=1; b=2' },
    });
    const event = (await res.json()) as Record<string, unknown>;
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'GET /elements/api-v2/test/event/{id}',
      rawPath: '/elements/api-v2/test/event/a%20b',
      rawQueryString: 'x=1&x=2&y=',
      queryStringParameters: { x: '1,2', y: '' },
      pathParameters: { id: 'a b' },
      cookies: ['a=1', 'b=2'],
      headers: { 'x-custom': 'v' },
      isBase64Encoded: false,
      requestContext: {
        http: { method: 'GET', path: '/elements/api-v2/test/event/a%20b', sourceIp: '127.0.0.1' },
        routeKey: 'GET /elements/api-v2/test/event/{id}',
        stage: '$default',
        requestId: res.headers.get('elements-request-id'),
      },
    });
    expect((event.headers as Record<string, string>).cookie).toBeUndefined();
  });

  it('matches greedy {proxy+} routes', async () => {
    const event = (await (await fetch(`${server.url}/test/files/a/b/c.txt`)).json()) as ApiEvent;
    expect(event.pathParameters).toEqual({ proxy: 'a/b/c.txt' });
  });

  it('round-trips binary bodies through base64 unchanged', async () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, index) => index));
    const res = await fetch(`${server.url}/test/binary`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/octet-stream' },
      body: bytes,
    });
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('answers 500 without details when a handler crashes past its middlewares', async () => {
    const body = await expectErrorShape(await fetch(`${server.url}/test/crash`), 500);
    expect(body.message).toBe('Internal server error');
  });
});

describe('local API server logging', () => {
  it('never logs the Authorization header or secrets of the requests it serves', async () => {
    const logger = createLogger({ logLevel: 'DEBUG' });
    const logged = await startLocalServer({
      env: { ELEMENT_ORGANIZATION_SECRET: ORG, ELEMENT_USER_SECRET: USER },
      extraRoutes,
      extraHandlers: {
        ...extraHandlers,
        echo: withMiddleware(async (event: ApiEvent) => event.jsonBody, { auth: 'platform', logger }),
        crash: async () => {
          throw new Error(`crashed while using Organization ${ORG}`);
        },
      },
      logger,
    });
    const output = await captureOutput(async () => {
      const headers = { 'Content-Type': 'application/json', Authorization: AUTHORIZATION };
      await fetch(`${logged.url}/test/echo`, {
        method: 'POST',
        headers,
        body: '{"password":"pw-123456789"}',
      });
      await fetch(`${logged.url}/test/echo`, { method: 'POST', headers, body: '{"password":' });
      await fetch(`${logged.url}/test/echo`, {
        method: 'POST',
        headers: { Authorization: `User ${USER}` },
        body: '{}',
      });
      await fetch(`${logged.url}/test/crash`, { headers });
    });
    await logged.close();
    expect(output).toContain('"status":200');
    expect(output).toContain('Local invocation failed');
    for (const secret of [ORG, USER, 'pw-123456789']) expect(output).not.toContain(secret);
  });
});

describe('textBytes', () => {
  it('gives the UTF-8 bytes of any text, ASCII or not', () => {
    for (const text of ['', 'plain ascii {"a":1}', 'café', '☕ 😀', 'lone \ud800 surrogate', 'ÿ\u0080']) {
      expect(textBytes(text).equals(Buffer.from(text, 'utf8'))).toBe(true);
    }
  });
});
