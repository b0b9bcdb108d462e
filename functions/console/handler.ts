import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFunctionEnv } from '../../shared/config/env';
import { serveConsole } from '../../shared/console/serve';
import { consoleDirectoryCandidates, findConsoleDirectory } from '../../shared/console/static-files';
// The middleware modules themselves, not their index: the index also brings the instance code.
import { response } from '../middleware/response';
import type { ApiEvent } from '../middleware/types';
import { withMiddleware } from '../middleware/with-middleware';
import { API_BASE_PATH, CONSOLE_PATH } from '../routes';

/**
 * The web console's static files (GET and HEAD, no authorizer: the files hold no data; the app asks for
 * the secrets and calls the API with them).
 */

const MODULE_DIRECTORY = dirname(fileURLToPath(import.meta.url));

export const consoleHandler = async (event: ApiEvent) => {
  // Read per request: tests and a custom build point ELEMENT_CONSOLE_DIR elsewhere; the stack sets the
  // bulk bucket's origin, which fetch follows a bulk file's redirect to.
  const env = readFunctionEnv(process.env);
  const answer = await serveConsole({
    path: event.rawPath ?? '',
    consolePath: `${API_BASE_PATH}${CONSOLE_PATH}`,
    file: event.pathParameters?.proxy ?? '',
    head: event.requestContext.http.method === 'HEAD',
    directory: findConsoleDirectory(
      consoleDirectoryCandidates(MODULE_DIRECTORY, process.env.ELEMENT_CONSOLE_DIR),
    ),
    connectOrigins: env.ELEMENT_CONSOLE_BULK_ORIGIN === undefined ? [] : [env.ELEMENT_CONSOLE_BULK_ORIGIN],
  });
  return response(answer.status, answer.body, answer.headers);
};

export const handler = withMiddleware(consoleHandler);
