import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createOutboundAgent, parseAllowedHosts } from '../../../shared/net';
import type { ServiceNowAuth, ServiceNowClient, ServiceNowClientOptions } from '../../../shared/servicenow';
import { createServiceNowClient, SemaphoreRegistry } from '../../../shared/servicenow';

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export type Handler = (req: SeenRequest, res: ServerResponse) => unknown;

/**
 * A tiny HTTP server on 127.0.0.1 for transport-level behaviour the simulator does not model
 * (socket counting, exact in-flight counts). Records every request it sees.
 */
export const startFakeServer = async (handler: Handler) => {
  const seen: SeenRequest[] = [];
  let sockets = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const server = createServer(async (req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on('close', () => {
      inFlight--;
    });
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const request = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    };
    seen.push(request);
    await handler(request, res);
  });
  server.on('connection', () => {
    sockets++;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    get sockets() {
      return sockets;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

export const json = (
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
};

/** Records requested sleeps instead of waiting. */
export const recordingSleep = () => {
  const delays: number[] = [];
  const sleep = async (ms: number) => {
    delays.push(ms);
  };
  return { delays, sleep };
};

/** A client for a loopback server through the real SSRF-checking agent (127.0.0.1 allowed). */
/** A client of `baseUrl` as admin (Basic) through `dispatcher`, retrying without waiting. */
export const adminClient = (
  baseUrl: string,
  dispatcher: ServiceNowClientOptions['dispatcher'],
  options: Partial<ServiceNowClientOptions> = {},
): ServiceNowClient =>
  createServiceNowClient({
    baseUrl,
    auth: { type: 'basic', username: 'admin', password: 'admin' },
    dispatcher,
    semaphores: new SemaphoreRegistry(),
    sleep: async () => {},
    ...options,
  });

export const clientFor = (
  baseUrl: string,
  options: Partial<ServiceNowClientOptions> = {},
): ServiceNowClient & { agent: ReturnType<typeof createOutboundAgent> } => {
  const agent = createOutboundAgent({ allowedHosts: parseAllowedHosts('127.0.0.1') });
  return Object.assign(adminClient(baseUrl, agent, { timeoutMs: 5_000, ...options }), { agent });
};

/** The demo OAuth client (simulator and fake servers alike) with admin's password: the password grant. */
export const DEMO_PASSWORD_GRANT = {
  type: 'oauth',
  grant: 'password',
  clientId: 'demo-client',
  clientSecret: 'demo-secret',
  username: 'admin',
  password: 'admin',
} as const satisfies ServiceNowAuth;
