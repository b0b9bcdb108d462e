import { NotFoundError } from '../../shared/errors';
import { ANY_HUB_PREFIX, API_BASE_PATH, HUB_PREFIX } from '../routes';
import type { ApiEvent } from './types';

/**
 * The key of a route in a function's route table: `METHOD /path` below the API base path with the
 * parameter names of functions/routes.ts. Hub routes are listed twice there (`/hubs/helpdesk/x` and
 * `/x`); both reach the key `METHOD /x`.
 */
export const routeKeyOf = (routeKey: string): string => {
  const space = routeKey.indexOf(' ');
  const method = routeKey.slice(0, space);
  let path = routeKey.slice(space + 1);
  if (path.startsWith(API_BASE_PATH)) path = path.slice(API_BASE_PATH.length);
  if (path.startsWith(`${HUB_PREFIX}/`)) path = path.slice(HUB_PREFIX.length);
  else if (path.startsWith(`${ANY_HUB_PREFIX}/`)) path = path.slice(ANY_HUB_PREFIX.length);
  return `${method} ${path}`;
};

/** The one way a function picks its route: its table's entry for the event, or a 404. */
export const routeFor = <Route>(table: Readonly<Record<string, Route>>, event: ApiEvent): Route => {
  const key = routeKeyOf(event.routeKey ?? '');
  if (!Object.hasOwn(table, key)) throw new NotFoundError('No such route');
  return table[key] as Route;
};

/** A path parameter by its name in functions/routes.ts (`{id}`, `{keyOrId}`, `{objectName}`...). */
export const pathParam = (event: ApiEvent, name: string): string | undefined => event.pathParameters?.[name];
