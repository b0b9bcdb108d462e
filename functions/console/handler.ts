import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFunctionEnv } from '../../shared/config/env';
// The middleware modules themselves, not their index: the index also brings the instance code.
import { response } from '../middleware/response';
import type { ApiEvent } from '../middleware/types';
import { withMiddleware } from '../middleware/with-middleware';
import { API_BASE_PATH, CONSOLE_PATH } from '../routes';
import {
  consoleDirectoryCandidates,
  consoleSecurityHeaders,
  findConsoleDirectory,
  readConsoleFile,
} from './static-files';

/**
 * The web console's static files (GET and HEAD, no authorizer: the files hold no data; the app asks for
 * the secrets and calls the API with them). `/console` redirects to `/console/`, which is index.html.
 */

const MODULE_DIRECTORY = dirname(fileURLToPath(import.meta.url));

/** `ELEMENT_CONSOLE_DIR` points at another build output (tests, a custom build); read per request. */
const consoleDirectory = () =>
  findConsoleDirectory(consoleDirectoryCandidates(MODULE_DIRECTORY, process.env.ELEMENT_CONSOLE_DIR));

/** The security headers, with the bulk bucket's origin (set by the stack) allowed for fetch. */
const securityHeaders = () => {
  const bulkOrigin = readFunctionEnv(process.env).ELEMENT_CONSOLE_BULK_ORIGIN;
  return consoleSecurityHeaders(bulkOrigin === undefined ? [] : [bulkOrigin]);
};

const notFound = (message: string) =>
  response(404, { message }, { ...securityHeaders(), 'Cache-Control': 'no-store' });

export const consoleHandler = async (event: ApiEvent) => {
  const head = event.requestContext.http.method === 'HEAD';
  const rawPath = event.rawPath ?? '';
  const consoleRoot = `${API_BASE_PATH}${CONSOLE_PATH}`;
  if (rawPath === consoleRoot) {
    return response(302, undefined, {
      ...securityHeaders(),
      Location: `${consoleRoot}/`,
      'Cache-Control': 'no-cache',
    });
  }
  const requested = rawPath === `${consoleRoot}/` ? 'index.html' : (event.pathParameters?.proxy ?? '');
  const directory = consoleDirectory();
  if (directory === undefined) {
    return notFound('The console is not built: run npm run build:console, then reload');
  }
  const file = await readConsoleFile(directory, requested === '' ? 'index.html' : requested);
  if (!file) return notFound('No such console file');
  const headers = {
    ...securityHeaders(),
    'Content-Type': file.contentType,
    'Cache-Control': file.cacheControl,
  };
  if (head) return response(200, undefined, headers);
  return response(200, file.text ? file.body.toString('utf8') : file.body, headers);
};

export const handler = withMiddleware(consoleHandler);
