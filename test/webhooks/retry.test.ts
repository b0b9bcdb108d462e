import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllowedHosts, sharedOutboundAgent } from '../../shared/net';
import { postWebhookWithRetry, verifySignature, webhookHeaders } from '../../shared/webhooks';

let server: Server;
let url: URL;
const answers: number[] = [];
const received: { headers: Record<string, unknown>; body: string }[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      received.push({ headers: request.headers, body });
      response.statusCode = answers.shift() ?? 200;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`);
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** The SSRF-guarded agent, with this test's loopback receiver allowed. */
const loopback = sharedOutboundAgent(parseAllowedHosts('127.0.0.1'));

describe('postWebhookWithRetry', () => {
  it('retries failed answers with the backoff until a 2xx, signing the exact bytes', async () => {
    answers.push(500, 503);
    received.length = 0;
    const waits: number[] = [];
    const body = '{"id":1}';
    const { attempt, attempts } = await postWebhookWithRetry(
      loopback,
      url,
      body,
      webhookHeaders('hook-1', body, 'key'),
      {
        attempts: 5,
        timeoutMs: 5_000,
        backoff: { baseMs: 100, maxMs: 1_000 },
        sleep: async (ms) => {
          waits.push(ms);
        },
        random: () => 0.5,
      },
    );
    expect(attempt).toEqual({ ok: true, statusCode: 200 });
    expect(attempts).toBe(3);
    expect(waits).toEqual([50, 100]);
    expect(received).toHaveLength(3);
    expect(received[0]?.headers['elements-webhook-id']).toBe('hook-1');
    expect(verifySignature('key', body, String(received[0]?.headers['elements-webhook-signature']))).toBe(
      true,
    );
  });

  it('gives up after the last attempt and says why, without a URL in the reason', async () => {
    answers.push(500, 500);
    const { attempt, attempts } = await postWebhookWithRetry(
      loopback,
      url,
      '{}',
      webhookHeaders('h', '{}', undefined),
      {
        attempts: 2,
        timeoutMs: 5_000,
        backoff: { baseMs: 1, maxMs: 1 },
      },
    );
    expect(attempts).toBe(2);
    expect(attempt).toMatchObject({ ok: false, statusCode: 500, reason: 'HTTP 500' });
  });
});
