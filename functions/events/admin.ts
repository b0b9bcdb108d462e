/**
 * The events admin API (platform routes on `/instances/{id}/events...`, and the current instance's
 * event log on `/instances/events...` with an Element token): poll now, list, poll status, get,
 * redeliver. Thin: find the caller's instance, call shared/events, shape the answer.
 */
import { ElementError } from '../../shared/errors';
import {
  createEventLog,
  getEvent,
  listEvents,
  pollInstanceNow,
  pollStatus,
  redeliverEvent,
} from '../../shared/events';
import { NEXT_PAGE_TOKEN_HEADER, RETURNED_COUNT_HEADER } from '../../shared/hub/headers';
import { createInstanceService, eventsInstanceAccess, parseInstanceId } from '../../shared/instances';
import { type ApiEvent, hubIdentityOf, identityOf, response, withMiddleware } from '../middleware';
import { API_BASE_PATH } from '../routes';
import { awsEventsQueue, awsSecretStore, awsStateTable } from '../runtime/aws-ports';
import { type Dependencies, getDependencies } from '../runtime/dependencies';

type Route = (deps: Dependencies, event: ApiEvent, instanceId: () => Promise<number>) => Promise<unknown>;

const eventId = (event: ApiEvent) => event.pathParameters?.eventId ?? '';

const list: Route = async (deps, event, instanceId) => {
  const query = Object.fromEntries(new URLSearchParams(event.rawQueryString ?? '').entries());
  const page = await listEvents(createEventLog(deps), await instanceId(), query);
  return response(200, page.events, {
    [RETURNED_COUNT_HEADER]: String(page.events.length),
    ...(page.nextPage === undefined ? {} : { [NEXT_PAGE_TOKEN_HEADER]: page.nextPage }),
  });
};
const get: Route = async (deps, event, instanceId) =>
  getEvent(createEventLog(deps), await instanceId(), eventId(event));

/** Keyed by route (functions/routes.ts) below the base path. */
const ROUTES: Record<string, Route> = {
  'GET /instances/events': list,
  'GET /instances/events/{eventId}': get,
  'GET /instances/{id}/events': list,
  'GET /instances/{id}/events/{eventId}': get,
  'GET /instances/{id}/events/status': async (deps, _event, instanceId) =>
    pollStatus(deps.stateTable, await instanceId()),
  'POST /instances/{id}/events/{eventId}/redeliver': async (deps, event, instanceId) =>
    response(
      202,
      await redeliverEvent(createEventLog(deps), deps.eventsQueue, await instanceId(), eventId(event)),
    ),
  'POST /instances/{id}/events/poll': async (deps, event) => {
    const record = await createInstanceService(deps).owned(
      identityOf(event).userId,
      parseInstanceId(event.pathParameters?.id),
    );
    const poller = { ...deps, instances: eventsInstanceAccess(deps) };
    // Inside the API's 29 s: a longer poll stops and resumes from its checkpoints next time.
    return (await pollInstanceNow(poller, record, { instanceBudgetMs: 25_000 })).summary;
  },
};

export const eventsAdminHandler = async (event: ApiEvent) => {
  const route = ROUTES[(event.routeKey ?? '').replace(` ${API_BASE_PATH}/`, ' /')];
  if (route === undefined) throw new ElementError(404, 'No such route');
  const deps = await getDependencies({
    stateTable: awsStateTable,
    secretStore: awsSecretStore,
    eventsQueue: awsEventsQueue,
  });
  const { userId } = identityOf(event);
  const path = event.pathParameters?.id;
  // owned(): another user's instance is a 404, like a missing one; without {id}, the Element token's.
  const instanceId = async () =>
    (
      await createInstanceService(deps).owned(
        userId,
        path === undefined ? hubIdentityOf(event).instanceId : parseInstanceId(path),
      )
    ).id;
  return route(deps, event, instanceId);
};

export const handler = withMiddleware(eventsAdminHandler, { auth: ['platform', 'hub'] });
