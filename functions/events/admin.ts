/**
 * The events admin API: poll now, list, poll status, get, redeliver, on `/instances/{id}/events...`
 * (platform) and `/instances/events...` (the Element token's instance).
 */
import {
  createEventLog,
  getEvent,
  listEvents,
  pollInstanceNow,
  pollStatus,
  redeliverEvent,
} from '../../shared/events';
import { pageHeaders } from '../../shared/hub/headers';
import {
  createInstanceService,
  eventsInstanceAccess,
  type InstanceRecord,
  parseInstanceId,
} from '../../shared/instances';
import { type ApiEvent, hubIdentityOf, identityOf, response, routeFor, withMiddleware } from '../middleware';
import { awsStateTable } from '../runtime/aws-ports';
import { awsEventsQueue } from '../runtime/aws-queues';
import { awsSecretStore } from '../runtime/aws-secret-store';
import { type Dependencies, getDependencies } from '../runtime/dependencies';

type Route = (deps: Dependencies, event: ApiEvent, record: InstanceRecord) => Promise<unknown>;

const eventId = (event: ApiEvent) => event.pathParameters?.eventId ?? '';

const list: Route = async (deps, event, { id }) => {
  const query = Object.fromEntries(new URLSearchParams(event.rawQueryString ?? '').entries());
  const { events, nextPage } = await listEvents(createEventLog(deps), id, query);
  return response(200, events, pageHeaders(events.length, nextPage));
};
const get: Route = async (deps, event, { id }) => getEvent(createEventLog(deps), id, eventId(event));

const ROUTES: Record<string, Route> = {
  'GET /instances/events': list,
  'GET /instances/events/{eventId}': get,
  'GET /instances/{id}/events': list,
  'GET /instances/{id}/events/{eventId}': get,
  'GET /instances/{id}/events/status': async (deps, _event, { id }) => pollStatus(deps.stateTable, id),
  'POST /instances/{id}/events/{eventId}/redeliver': async (deps, event, { id }) =>
    response(202, await redeliverEvent(createEventLog(deps), deps.eventsQueue, id, eventId(event))),
  // Inside the API's 29 s: a longer poll stops and resumes from its checkpoints next time.
  'POST /instances/{id}/events/poll': async (deps, _event, record) => {
    const poller = { ...deps, instances: eventsInstanceAccess(deps) };
    return (await pollInstanceNow(poller, record, { instanceBudgetMs: 25_000 })).summary;
  },
};

const PORTS = { stateTable: awsStateTable, secretStore: awsSecretStore, eventsQueue: awsEventsQueue };

export const eventsAdminHandler = async (event: ApiEvent) => {
  const route = routeFor(ROUTES, event);
  const deps = await getDependencies(PORTS);
  const path = event.pathParameters?.id;
  // owned(): another user's instance is a 404, like a missing one; without {id}, the Element token's.
  const id = path === undefined ? hubIdentityOf(event).instanceId : parseInstanceId(path);
  return route(deps, event, await createInstanceService(deps).owned(identityOf(event).userId, id));
};

export const handler = withMiddleware(eventsAdminHandler, { auth: ['platform', 'hub'] });
