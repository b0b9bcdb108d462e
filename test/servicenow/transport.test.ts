import { afterEach, describe, expect, it } from 'vitest';
import { ElementError } from '../../shared/errors';
import { createServiceNowClient, SemaphoreRegistry, ServiceNowAuthError } from '../../shared/servicenow';
import { clientFor, json, recordingSleep, startFakeServer } from './helpers/fake-server';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

const serve = async (handler: Parameters<typeof startFakeServer>[0]) => {
  const server = await startFakeServer(handler);
  cleanups.push(server.close);
  return server;
};
const client = (baseUrl: string, options: Parameters<typeof clientFor>[1] = {}) => {
  const c = clientFor(baseUrl, options);
  cleanups.push(() => c.agent.close());
  return c;
};
const caught = async (promise: Promise<unknown>): Promise<ElementError> => {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(ElementError);
  return error as ElementError;
};
const ok = { result: [{ sys_id: 'a' }] };

describe('ServiceNow client transport', () => {
  it('sends JSON accept and Basic auth, and never a Cookie even after Set-Cookie', async () => {
    const server = await serve((_req, res) =>
      json(res, 200, ok, { 'set-cookie': 'JSESSIONID=abc; Path=/; HttpOnly' }),
    );
    const c = client(server.url);
    await c.list('incident');
    await c.request({ method: 'GET', path: '/api/now/table/incident', headers: { Cookie: 'JSESSIONID=x' } });
    expect(server.seen).toHaveLength(2);
    for (const req of server.seen) {
      expect(req.headers.cookie).toBeUndefined();
      expect(req.headers.accept).toBe('application/json');
      expect(req.headers.authorization).toBe(`Basic ${Buffer.from('admin:admin').toString('base64')}`);
    }
  });

  it('reuses one keep-alive connection for sequential calls', async () => {
    const server = await serve((_req, res) => json(res, 200, ok));
    const c = client(server.url);
    for (let i = 0; i < 10; i++) await c.list('incident');
    expect(server.seen).toHaveLength(10);
    // undici's pool may open a second socket while the first is being released; after that,
    // sockets are reused. Without keep-alive this would be 10.
    expect(server.sockets).toBeLessThanOrEqual(2);
  });

  it('never exceeds the per-instance concurrency cap, shared by clients of the same instance and user', async () => {
    const server = await serve(async (_req, res) => {
      await new Promise((resolve) => setTimeout(resolve, 15));
      json(res, 200, ok);
    });
    const semaphores = new SemaphoreRegistry();
    const a = client(server.url, { semaphores, concurrency: 3 });
    const b = client(server.url, { semaphores, concurrency: 3 });
    await Promise.all(Array.from({ length: 24 }, (_, i) => (i % 2 ? a : b).list('incident')));
    expect(server.seen).toHaveLength(24);
    expect(server.maxInFlight).toBe(3);
  });

  it('honours Retry-After seconds exactly on 429', async () => {
    let calls = 0;
    const server = await serve((_req, res) =>
      ++calls === 1
        ? json(
            res,
            429,
            {
              error: { message: 'Rate limit exceeded', detail: 'Rate limit of 100 requests per hour' },
              status: 'failure',
            },
            { 'retry-after': '7' },
          )
        : json(res, 200, ok),
    );
    const { delays, sleep } = recordingSleep();
    const result = await client(server.url, { sleep }).list('incident');
    expect(result.records).toEqual([{ sys_id: 'a' }]);
    expect(delays).toEqual([7000]);
  });

  it('honours Retry-After as an HTTP date on 503', async () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    let calls = 0;
    const server = await serve((_req, res) =>
      ++calls === 1
        ? json(res, 503, {}, { 'retry-after': new Date(now + 12_000).toUTCString() })
        : json(res, 200, ok),
    );
    const { delays, sleep } = recordingSleep();
    await client(server.url, { sleep, clock: { now: () => now } }).list('incident');
    expect(delays).toEqual([12_000]);
  });

  it('backs off with full jitter when no Retry-After is given', async () => {
    const server = await serve((_req, res) => json(res, 503, {}));
    const { delays, sleep } = recordingSleep();
    const random = [0.5, 0.999, 0];
    const c = client(server.url, {
      sleep,
      random: () => random.shift() ?? 0,
      maxAttempts: 4,
      retry: { baseDelayMs: 100, maxDelayMs: 300 },
    });
    const error = await caught(c.list('incident'));
    expect(error.status).toBe(502);
    // attempt n waits uniform in [0, min(cap, base * 2^(n-1)))
    expect(delays).toEqual([50, 199, 0]);
    expect(server.seen).toHaveLength(4);
  });

  it('gives up after the bounded attempts with 429 carrying Retry-After', async () => {
    const server = await serve((_req, res) =>
      json(
        res,
        429,
        {
          error: {
            message: 'Rate limit exceeded',
            detail: 'Rate limit of 100 requests per hour for Table API exceeded',
          },
          status: 'failure',
        },
        { 'retry-after': '2' },
      ),
    );
    const { delays, sleep } = recordingSleep();
    const error = await caught(client(server.url, { sleep, maxAttempts: 3 }).list('incident'));
    expect(error.status).toBe(429);
    expect(error.headers['Retry-After']).toBe('2');
    expect(error.providerMessage).toBe(
      'Rate limit exceeded: Rate limit of 100 requests per hour for Table API exceeded',
    );
    expect(delays).toEqual([2000, 2000]);
    expect(server.seen).toHaveLength(3);
  });

  it('returns a 429 at once when Retry-After is longer than it is worth waiting', async () => {
    const server = await serve((_req, res) => json(res, 429, {}, { 'retry-after': '3600' }));
    const { delays, sleep } = recordingSleep();
    const error = await caught(client(server.url, { sleep }).list('incident'));
    expect(error.status).toBe(429);
    expect(error.headers['Retry-After']).toBe('3600');
    expect(delays).toEqual([]);
  });

  it('retries 500 for GET but not for POST; POST is retried on 429', async () => {
    let calls = 0;
    const server = await serve((req, res) => {
      calls++;
      if (req.method === 'POST' && calls === 1) return json(res, 429, {}, { 'retry-after': '1' });
      json(res, 500, {
        error: { message: 'Transaction cancelled: maximum execution time exceeded', detail: null },
        status: 'failure',
      });
    });
    const c = client(server.url, { maxAttempts: 3 });
    const getError = await caught(c.list('incident'));
    expect(getError.status).toBe(502);
    expect(getError.providerMessage).toBe('Transaction cancelled: maximum execution time exceeded');
    expect(server.seen).toHaveLength(3);
    calls = 0;
    await caught(c.create('incident', { short_description: 'x' }));
    expect(server.seen.slice(3).map((r) => r.method)).toEqual(['POST', 'POST']); // 429 retried, 500 not
  });

  it.each([
    [400, 400, { message: 'Invalid table nope', detail: null }, 'Invalid table nope'],
    [
      401,
      401,
      { message: 'User Not Authenticated', detail: 'Required to provide Auth information' },
      'User Not Authenticated: Required to provide Auth information',
    ],
    [
      403,
      403,
      { message: 'Insufficient rights to query records', detail: null },
      'Insufficient rights to query records',
    ],
    [
      404,
      404,
      { message: 'No Record found', detail: "Record doesn't exist or ACL restricts the record retrieval" },
      "No Record found: Record doesn't exist or ACL restricts the record retrieval",
    ],
    [405, 405, { message: 'Method not Supported', detail: null }, 'Method not Supported'],
    [406, 406, { message: 'Not Acceptable', detail: null }, 'Not Acceptable'],
    [409, 409, { message: 'Conflict', detail: 'duplicate' }, 'Conflict: duplicate'],
    [415, 415, { message: 'Unsupported Media Type', detail: null }, 'Unsupported Media Type'],
  ])('maps ServiceNow %i to %i keeping the provider text', async (status, ours, error, providerMessage) => {
    const server = await serve((_req, res) => json(res, status, { error, status: 'failure' }));
    const e = await caught(client(server.url).get('incident', 'abc'));
    expect(e.status).toBe(ours);
    expect(e.providerMessage).toBe(providerMessage);
    expect(e.message).toMatch(/^ServiceNow /);
    expect(server.seen).toHaveLength(1);
  });

  it('reports 401 as a ServiceNowAuthError without leaking the credentials', async () => {
    const server = await serve((_req, res) =>
      json(res, 401, {
        error: { message: 'User Not Authenticated', detail: 'Required to provide Auth information' },
        status: 'failure',
      }),
    );
    const c = client(server.url, { auth: { type: 'basic', username: 'integration', password: 's3cr3t-pw' } });
    const error = await caught(c.list('incident'));
    expect(error).toBeInstanceOf(ServiceNowAuthError);
    expect(JSON.stringify({ m: error.message, p: error.providerMessage })).not.toContain('s3cr3t-pw');
  });

  it('maps an HTML page (hibernating instance) to 502 with a clear message, without retrying', async () => {
    const server = await serve((_req, res) =>
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end('<html><body>Your instance is hibernating</body></html>'),
    );
    const error = await caught(client(server.url).list('incident'));
    expect(error.status).toBe(502);
    expect(error.message).toBe(
      'ServiceNow returned HTML instead of JSON; the instance may be hibernating or the URL may be wrong',
    );
    expect(server.seen).toHaveLength(1);
  });

  it('maps a body that is not JSON to 502', async () => {
    const server = await serve((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"result":'),
    );
    expect((await caught(client(server.url).list('incident'))).status).toBe(502);
  });

  it('retries a GET answered 202 with no body (session overflow)', async () => {
    let calls = 0;
    const server = await serve((_req, res) =>
      ++calls === 1 ? res.writeHead(202).end() : json(res, 200, ok),
    );
    const result = await client(server.url).list('incident');
    expect(result.records).toHaveLength(1);
    expect(server.seen).toHaveLength(2);
  });

  it('times out a request that does not answer and gives up with 504', async () => {
    const server = await serve(async (_req, res) => {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      if (!res.destroyed) json(res, 200, ok);
    });
    const error = await caught(client(server.url, { timeoutMs: 100, maxAttempts: 2 }).list('incident'));
    expect(error.status).toBe(504);
    expect(server.seen).toHaveLength(2);
  });

  it('retries a GET after a connection reset but not a POST', async () => {
    let calls = 0;
    const server = await serve((req, res) => {
      calls++;
      if (calls === 1 || req.method === 'POST') {
        res.socket?.destroy();
        return;
      }
      json(res, 200, ok);
    });
    const c = client(server.url);
    expect((await c.list('incident')).records).toHaveLength(1);
    const error = await caught(c.create('incident', { short_description: 'x' }));
    expect(error.status).toBe(502);
    expect(server.seen.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('retries even a POST when the connection is refused, then reports 502', async () => {
    const server = await serve((_req, res) => json(res, 200, ok));
    const url = server.url;
    await server.close();
    const { delays, sleep } = recordingSleep();
    const error = await caught(client(url, { sleep, maxAttempts: 3 }).create('incident', {}));
    expect(error.status).toBe(502);
    expect(error.message).toMatch(/Could not reach ServiceNow/);
    expect(delays).toHaveLength(2);
  });

  it('does not follow redirects', async () => {
    const server = await serve((req, res) =>
      req.url?.startsWith('/elsewhere')
        ? json(res, 200, ok)
        : res.writeHead(302, { location: '/elsewhere' }).end(),
    );
    const error = await caught(client(server.url).list('incident'));
    expect(error.status).toBe(502);
    expect(error.message).toMatch(/redirect/);
    expect(server.seen).toHaveLength(1);
  });

  it('refuses a loopback instance when the host is not allowed', async () => {
    const server = await serve((_req, res) => json(res, 200, ok));
    const c = createServiceNowClient({
      baseUrl: server.url,
      auth: { type: 'basic', username: 'admin', password: 'admin' },
    });
    const error = await caught(c.list('incident'));
    expect(error.name).toBe('OutboundUrlRefusedError');
    expect(server.seen).toHaveLength(0);
  });
  it('decodes bodies exactly: UTF-8 split across chunks, a byte order mark, large and concurrent pages', async () => {
    const rows = (n: number, text: string) =>
      Array.from({ length: n }, (_, i) => ({ sys_id: `id${i}`, short_description: `${text} ${i}` }));
    const pages: Record<string, { result: { sys_id: string; short_description: string }[] }> = {
      '/api/now/table/ascii': { result: rows(3000, 'plain ascii text') },
      '/api/now/table/utf8': { result: rows(3000, 'Łódź café ☕ 😀') },
      '/api/now/table/small': { result: rows(2, 'Zoë') },
    };
    const server = await serve(async (req, res) => {
      const path = req.url.split('?')[0] ?? '';
      if (path === '/api/now/table/bom') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          Buffer.concat([
            Buffer.from([0xef, 0xbb, 0xbf]),
            Buffer.from(JSON.stringify({ result: [{ a: 'é' }] })),
          ]),
        );
        return;
      }
      // One byte at a time around the multi-byte characters, so chunk edges fall inside them.
      const bytes = Buffer.from(JSON.stringify(pages[path]));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(bytes.length) });
      for (let at = 0; at < bytes.length; at += 7_001) {
        res.write(bytes.subarray(at, at + 7_001));
        await new Promise((resolve) => setImmediate(resolve));
      }
      res.end();
    });
    const c = client(server.url);
    const [ascii, utf8, small, again] = await Promise.all([
      c.list('ascii'),
      c.list('utf8'),
      c.list('small'),
      c.list('ascii'),
    ]);
    expect(ascii.records).toEqual(pages['/api/now/table/ascii']?.result);
    expect(utf8.records).toEqual(pages['/api/now/table/utf8']?.result);
    expect(small.records).toEqual(pages['/api/now/table/small']?.result);
    expect(again.records).toEqual(pages['/api/now/table/ascii']?.result);
    expect((await c.list('bom')).records).toEqual([{ a: 'é' }]);
  });
});
