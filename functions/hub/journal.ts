import {
  addJournalEntry,
  type JournalAddress,
  type JournalElement,
  journalValueOf,
  listJournal,
} from '../../shared/hub/journal';
import { response } from '../middleware';
import type { HubRequest, HubRouteTable } from './types';

const addressOf = ({ params }: HubRequest, element: JournalElement): JournalAddress => ({
  objectName: params.objectName,
  recordId: params.id,
  element,
});

const list = (element: JournalElement) => async (request: HubRequest) => {
  const { entries, headers } = await listJournal(request.context, addressOf(request, element), {
    query: request.query,
    authorization: request.event.headers?.authorization,
  });
  return response(200, entries, headers);
};

const append = (element: JournalElement) => async (request: HubRequest) => {
  const value = journalValueOf(element, request.event.jsonBody);
  return response(200, await addJournalEntry(request.context, addressOf(request, element), value));
};

export const journalRoutes: HubRouteTable = {
  'GET /{objectName}/{id}/comments': list('comments'),
  'POST /{objectName}/{id}/comments': append('comments'),
  'GET /{objectName}/{id}/work-notes': list('work_notes'),
  'POST /{objectName}/{id}/work-notes': append('work_notes'),
};
