import type { LookupAddress } from 'node:dns';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutboundAgent, Resolver } from '../../shared/net';
import {
  checkOutboundUrl,
  createGuardedLookup,
  createOutboundAgent,
  OutboundUrlRefusedError,
  parseAllowedHosts,
} from '../../shared/net';

let server: Server;
let port: number;
let hits = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    hits++;
    if (req.url === '/redirect') {
      res.writeHead(302, { location: `http://127.0.0.1:${port}/secret` }).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** A GET through the agent, as the ServiceNow client and the webhook POSTs send theirs. */
const get = (agent: OutboundAgent, url: string) =>
  agent.request({ method: 'GET', url: new URL(url), headers: {}, timeoutMs: 5_000 });

/** Public on the first lookup (config-time check), private afterwards: DNS rebinding. */
const rebinding = (): Resolver & { calls: number } => {
  const resolver = Object.assign(
    async () => {
      resolver.calls++;
      return resolver.calls === 1
        ? [{ address: '93.184.216.34', family: 4 as const }]
        : [{ address: '127.0.0.1', family: 4 as const }];
    },
    { calls: 0 },
  );
  return resolver;
};

const lookup = (fn: ReturnType<typeof createGuardedLookup>, host: string, all: boolean) =>
  new Promise<{ err: unknown; address: string | LookupAddress[] }>((resolve) =>
    fn(host, { all }, (err, address) => resolve({ err, address })),
  );

describe('outbound agent', () => {
  it('guarded lookup hands the socket exactly the addresses it checked', async () => {
    const fn = createGuardedLookup(async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '2606:2800:220:1::', family: 6 },
    ]);
    expect(await lookup(fn, 'example.com', true)).toEqual({
      err: null,
      address: [
        { address: '93.184.216.34', family: 4 },
        { address: '2606:2800:220:1::', family: 6 },
      ],
    });
    expect((await lookup(fn, 'example.com', false)).address).toBe('93.184.216.34');
  });

  it('refuses DNS rebinding: the per-connection lookup sees the private answer', async () => {
    const resolver = rebinding();
    const allowedHosts = parseAllowedHosts('');
    // Configuration-time check sees a public address...
    await expect(
      checkOutboundUrl('https://rebind.example.com/', { allowedHosts, resolver }),
    ).resolves.toBeInstanceOf(URL);
    // ...but the connection's own lookup resolves again and refuses 127.0.0.1.
    const fn = createGuardedLookup(resolver);
    const { err } = await lookup(fn, 'rebind.example.com', true);
    expect(err).toBeInstanceOf(OutboundUrlRefusedError);
    expect((err as OutboundUrlRefusedError).reason).toBe('loopback');
  });

  it('refuses a rebinding name when an actual request connects through the agent', async () => {
    const resolver = rebinding();
    resolver.calls = 1; // next answer is private
    const agent = createOutboundAgent({ allowedHosts: parseAllowedHosts(''), resolver });
    const before = hits;
    await expect(get(agent, `https://rebind.example.com:${port}/`)).rejects.toBeInstanceOf(
      OutboundUrlRefusedError,
    );
    expect(hits).toBe(before);
    await agent.close();
  });

  it('refuses IP literals and plain http to hosts that are not allowed', async () => {
    const agent = createOutboundAgent({ allowedHosts: parseAllowedHosts('') });
    await expect(get(agent, `https://127.0.0.1:${port}/`)).rejects.toMatchObject({
      reason: 'loopback',
    });
    await expect(get(agent, `https://[::ffff:127.0.0.1]:${port}/`)).rejects.toMatchObject({
      reason: 'loopback',
    });
    await expect(get(agent, `http://127.0.0.1:${port}/`)).rejects.toMatchObject({
      reason: 'protocol',
    });
    await agent.close();
  });

  it('connects to allowed hosts, with and without a port in the allow-list', async () => {
    for (const entry of ['127.0.0.1', `127.0.0.1:${port}`]) {
      const agent = createOutboundAgent({ allowedHosts: parseAllowedHosts(entry) });
      const response = await get(agent, `http://127.0.0.1:${port}/ok`);
      expect(response.status).toBe(200);
      expect(JSON.parse(Buffer.concat(response.chunks).toString('utf8'))).toEqual({ path: '/ok' });
      await agent.close();
    }
    const wrongPort = createOutboundAgent({ allowedHosts: parseAllowedHosts(`127.0.0.1:${port + 1}`) });
    await expect(get(wrongPort, `http://127.0.0.1:${port}/`)).rejects.toBeInstanceOf(OutboundUrlRefusedError);
    await wrongPort.close();
  });

  it('does not follow redirects', async () => {
    const agent = createOutboundAgent({ allowedHosts: parseAllowedHosts('127.0.0.1') });
    const before = hits;
    const response = await get(agent, `http://127.0.0.1:${port}/redirect`);
    expect(response.status).toBe(302);
    expect(hits).toBe(before + 1);
    await agent.close();
  });
});
