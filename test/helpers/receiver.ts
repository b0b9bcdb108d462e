/**
 * A webhook receiver on loopback (127.0.0.1, the host tests allow-list): it records every request and
 * answers what a test scripted for its path, else 200.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** What the receiver answers on a path: a status, a redirect, or no answer (hang until the client gives up). */
export type Reply = { status: number; location?: string } | { hang: true };

export interface Receiver {
  url: string;
  port: number;
  requests: Received[];
  /** Replies for the next requests to `path` (consumed in order); then 200. */
  script(path: string, ...replies: Reply[]): void;
  on(path: string): Received[];
  close(): Promise<void>;
}

export const startReceiver = async (): Promise<Receiver> => {
  const requests: Received[] = [];
  const scripts = new Map<string, Reply[]>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = req.url ?? '/';
      requests.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const reply = scripts.get(path.split('?')[0] ?? path)?.shift() ?? { status: 200 };
      if ('hang' in reply) return; // closed by the client's timeout or by close()
      res.writeHead(reply.status, reply.location ? { location: reply.location } : {});
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    script(path, ...replies) {
      scripts.set(path, [...(scripts.get(path) ?? []), ...replies]);
    },
    on(path) {
      return requests.filter((r) => r.path.split('?')[0] === path);
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};

export const until = async (condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> => {
  for (let i = 0; i < timeoutMs / 5; i++) {
    if (condition()) return;
    await sleep(5);
  }
  throw new Error(`Timed out waiting for ${what}`);
};
