import { parseMetaData, serveDownload, startBodyDownload, startQueryDownload } from '../../shared/bulk/api';
import { InvalidInputError } from '../../shared/errors';
import { formFieldsOf, response } from '../middleware';
import type { BulkRequest, BulkRouteTable } from './context';

/** `metaData` of a JSON body, or of a form field (CE sends it either way). */
const metaDataOf = async (request: BulkRequest): Promise<Record<string, unknown>> => {
  const json = request.event.jsonBody;
  if (json !== undefined) {
    if (typeof json !== 'object' || json === null || Array.isArray(json))
      throw new InvalidInputError('Body must be a JSON object');
    return parseMetaData((json as { metaData?: unknown }).metaData);
  }
  return parseMetaData((await formFieldsOf(request.event)).metaData);
};

export const downloadRoutes: BulkRouteTable = {
  'POST /bulk/query': (request) => startQueryDownload(request, request.query, () => metaDataOf(request)),
  'POST /bulk/download': (request) => startBodyDownload(request, request.event.jsonBody),
  'GET /bulk/{id}/{objectName}': async (request) => {
    const accept = request.event.headers?.accept || undefined;
    const { id = '', objectName = '' } = request.params;
    const answer = await serveDownload(request.jobs, id, objectName, accept);
    return response(answer.status, answer.body, answer.headers);
  },
};
