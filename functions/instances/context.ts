import type { InstanceService } from '../../shared/instances';
import type { ApiEvent } from '../middleware';
import type { Dependencies } from '../runtime/dependencies';

/** What every platform route of the instances function receives (functions/instances/handler.ts). */
export interface PlatformRequest {
  event: ApiEvent;
  userId: string;
  deps: Dependencies;
  instances: InstanceService;
}

/** Keys are `METHOD /path` of functions/routes.ts below the API base path, parameter names kept. */
export type PlatformRouteTable = Record<string, (request: PlatformRequest) => unknown>;

/** `?a=1&b=2` as an object; the last of repeated keys wins. */
export const queryOf = (event: ApiEvent): Record<string, string | undefined> =>
  Object.fromEntries(new URLSearchParams(event.rawQueryString ?? '').entries());
