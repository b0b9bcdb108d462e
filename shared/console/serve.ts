import { consoleSecurityHeaders, readConsoleFile } from './static-files';

/** One request for the console's files, already taken apart by the entry point. */
export interface ConsoleRequest {
  /** The request's path, and the console's own (`/elements/api-v2/console`). */
  path: string;
  consolePath: string;
  /** The file named below the console path (`assets/app.js`); empty for the console itself. */
  file: string;
  head: boolean;
  /** The build output; undefined when none was found. */
  directory: string | undefined;
  /** Origins fetch may reach besides this one (the bulk bucket in AWS). */
  connectOrigins: readonly string[];
}

export interface ConsoleAnswer {
  status: number;
  body?: string | Buffer | { message: string };
  headers: Record<string, string>;
}

/** `/console` redirects to `/console/`, which is index.html; a missing file or build answers 404. */
export const serveConsole = async (request: ConsoleRequest): Promise<ConsoleAnswer> => {
  const security = consoleSecurityHeaders(request.connectOrigins);
  const notFound = (message: string): ConsoleAnswer => ({
    status: 404,
    body: { message },
    headers: { ...security, 'Cache-Control': 'no-store' },
  });
  if (request.path === request.consolePath) {
    return {
      status: 302,
      headers: { ...security, Location: `${request.consolePath}/`, 'Cache-Control': 'no-cache' },
    };
  }
  const requested = request.path === `${request.consolePath}/` ? 'index.html' : request.file;
  if (request.directory === undefined) {
    return notFound('The console is not built: run npm run build:console, then reload');
  }
  const file = await readConsoleFile(request.directory, requested === '' ? 'index.html' : requested);
  if (!file) return notFound('No such console file');
  const headers = { ...security, 'Content-Type': file.contentType, 'Cache-Control': file.cacheControl };
  if (request.head) return { status: 200, headers };
  return { status: 200, body: file.text ? file.body.toString('utf8') : file.body, headers };
};
