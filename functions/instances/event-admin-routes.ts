import { getEvent, listEvents, pollStatus, redeliverEvent } from '../../shared/events/event-admin';
import { createEventLog } from '../../shared/events/event-log';
import { NEXT_PAGE_TOKEN_HEADER, RETURNED_COUNT_HEADER } from '../../shared/hub/headers';
import { parseInstanceId } from '../../shared/instances';
import { hubIdentityOf, pathParam, response } from '../middleware';
import { type PlatformRequest, type PlatformRouteTable, queryOf } from './context';

const eventLogOf = ({ deps }: PlatformRequest) =>
  createEventLog({ stateTable: deps.stateTable, now: deps.now });

/** The caller's instance of `{id}`, or of the Element token on "current instance" routes; else 404. */
const ownedId = async ({ event, userId, instances }: PlatformRequest, current = false) =>
  (
    await instances.owned(
      userId,
      current ? hubIdentityOf(event).instanceId : parseInstanceId(pathParam(event, 'id')),
    )
  ).id;

/** CE's event list: the events as an array, paged by Elements-Next-Page-Token (passed back as nextPage). */
const eventsPage = async (request: PlatformRequest, current = false) => {
  const page = await listEvents(eventLogOf(request), await ownedId(request, current), queryOf(request.event));
  return response(200, page.events, {
    [RETURNED_COUNT_HEADER]: String(page.events.length),
    ...(page.nextPage === undefined ? {} : { [NEXT_PAGE_TOKEN_HEADER]: page.nextPage }),
  });
};

const eventOf = async (request: PlatformRequest, current = false) =>
  getEvent(eventLogOf(request), await ownedId(request, current), pathParam(request.event, 'eventId') ?? '');

export const eventAdminRoutes: PlatformRouteTable = {
  'GET /instances/events': (request) => eventsPage(request, true),
  'GET /instances/events/{eventId}': (request) => eventOf(request, true),
  'GET /instances/{id}/events': (request) => eventsPage(request),
  'GET /instances/{id}/events/{eventId}': (request) => eventOf(request),
  'GET /instances/{id}/events/status': async (request) =>
    pollStatus(request.deps.stateTable, await ownedId(request)),
  'POST /instances/{id}/events/poll': async (request) => {
    const record = await request.instances.owned(
      request.userId,
      parseInstanceId(pathParam(request.event, 'id')),
    );
    const { pollInstanceNow } = await import('../events/poller');
    // Inside the API's 29 s: a longer poll stops and resumes from its checkpoints next time.
    return (await pollInstanceNow(request.deps, record, { instanceBudgetMs: 25_000 })).summary;
  },
  'POST /instances/{id}/events/{eventId}/redeliver': async (request) => {
    const instanceId = await ownedId(request);
    const eventId = pathParam(request.event, 'eventId') ?? '';
    return response(
      202,
      await redeliverEvent(eventLogOf(request), request.deps.eventsQueue, instanceId, eventId),
    );
  },
};
