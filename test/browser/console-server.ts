import { readFile } from 'node:fs/promises';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';

const DIST = join(import.meta.dirname, '../../functions/console/web/dist');
const CONSOLE_PATH = '/elements/api-v2/console/';
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

export interface ConsoleServer {
  /** `http://127.0.0.1:<port>/elements/api-v2/console/` */
  consoleUrl: string;
  close(): Promise<void>;
}

/**
 * One origin for the console and the API, as the product serves them: the built console under
 * `/elements/api-v2/console/` with a strict CSP, every other path passed through to local mode.
 */
export const startConsoleServer = async (apiUrl: string): Promise<ConsoleServer> => {
  const api = new URL(apiUrl);
  let origin = '';
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    if (path.startsWith(CONSOLE_PATH)) {
      const file = normalize(join(DIST, path.slice(CONSOLE_PATH.length) || 'index.html'));
      if (!file.startsWith(DIST)) {
        response.writeHead(404).end();
        return;
      }
      readFile(file).then(
        (body) => {
          response.writeHead(200, {
            'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
            'Content-Security-Policy': "default-src 'self'; frame-ancestors 'none'; base-uri 'self'",
            'X-Content-Type-Options': 'nosniff',
          });
          response.end(body);
        },
        () => response.writeHead(404).end(),
      );
      return;
    }
    const upstream = httpRequest(
      {
        host: api.hostname,
        port: api.port,
        method: request.method,
        path: request.url,
        headers: request.headers,
      },
      (answer) => {
        // Redirects to the API's own origin (a download's presigned URL) stay on this one.
        const location = answer.headers.location?.replace(api.origin, origin);
        response.writeHead(answer.statusCode ?? 502, {
          ...answer.headers,
          ...(location ? { location } : {}),
        });
        answer.pipe(response);
      },
    );
    upstream.on('error', () => response.writeHead(502).end());
    request.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  return {
    consoleUrl: `${origin}${CONSOLE_PATH}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
};
