import {
  callbackPayloadOf,
  continuedFrom,
  createdView,
  type DownloadRequest,
  downloadFile,
  parseBulkQuery,
  parseDownloadBody,
  parseMetaData,
  planDownload,
  resolveBulkObject,
  startJob,
} from '../../shared/bulk/api';
import {
  type DownloadFormat,
  FORMAT_CONTENT_TYPE,
  FORMAT_EXTENSION,
  parseDownloadFormat,
} from '../../shared/bulk/download';
import { GoneError, InvalidInputError } from '../../shared/errors';
import { formFieldsOf, response } from '../middleware';
import type { BulkRequest, BulkRouteTable } from './context';
import { callbackUrlOf, headerOf } from './context';

const metaDataOf = async (request: BulkRequest): Promise<Record<string, unknown>> => {
  const json = request.event.jsonBody;
  if (json !== undefined) {
    if (typeof json !== 'object' || json === null || Array.isArray(json))
      throw new InvalidInputError('Body must be a JSON object');
    return parseMetaData((json as { metaData?: unknown }).metaData);
  }
  return parseMetaData((await formFieldsOf(request.event)).metaData);
};

const createDownload = async (
  request: BulkRequest,
  objectName: string,
  download: DownloadRequest,
  extra: { notificationUrl?: string; callbackPayload?: unknown },
) => {
  const object = await resolveBulkObject(request.deps.stateTable, request.instance, objectName);
  const job = await planDownload(await request.client(), request.instance.id, object, download);
  const notificationUrl = await callbackUrlOf(request, extra.notificationUrl);
  return startJob(request.jobs, {
    direction: 'download',
    objectName,
    table: object.table,
    download: { job },
    ...(notificationUrl === undefined ? {} : { notificationUrl }),
    ...(extra.callbackPayload === undefined ? {} : { callbackPayload: extra.callbackPayload }),
  });
};

/** `bulk.query.download_format` (default `json`): CE's JSON download is one record per line. */
const defaultFormat = (request: BulkRequest): DownloadFormat => {
  const configured = request.instance.configuration['bulk.query.download_format'];
  const format = parseDownloadFormat(configured || 'json');
  return format === 'json' ? 'jsonl' : format;
};

/** `POST /bulk/query?q=select ... from ... [where ...] [order by ...]` (+ lastRunDate, from, to, metaData). */
const query = async (request: BulkRequest) => {
  const q = parseBulkQuery(request.query.get('q'));
  const metaData = await metaDataOf(request);
  const formatText =
    request.query.get('format') ?? (typeof metaData.format === 'string' ? metaData.format : undefined);
  const format = formatText === undefined ? defaultFormat(request) : parseDownloadFormat(formatText);
  const from = request.query.get('from') ?? request.query.get('lastRunDate') ?? undefined;
  const to = request.query.get('to') ?? undefined;
  const partitions = request.query.get('partitions') ?? undefined;
  const dateField = request.instance.configuration['bulk.query.field_name'] || 'sys_updated_on';
  const job = await createDownload(
    request,
    q.objectName,
    {
      format: format,
      ...(q.where === undefined ? {} : { where: q.where }),
      ...(q.orderBy === undefined ? {} : { orderBy: q.orderBy }),
      ...(q.selectFields === undefined ? {} : { selectFields: q.selectFields }),
      ...(from === undefined ? {} : { from }),
      ...(to === undefined ? {} : { to }),
      filterDateField: dateField,
      // Checked with the rest of the request (buildDownloadJob): Number('') and Number('x') fail there too.
      ...(partitions === undefined
        ? {}
        : { partitions: partitions.trim() === '' ? Number.NaN : Number(partitions) }),
    },
    { callbackPayload: callbackPayloadOf(metaData) },
  );
  return createdView(job);
};

/**
 * `POST /bulk/download` (CE bulk v3). `continueFromJobId` names an earlier COMPLETED download of the
 * same object: without an explicit `from`, this one takes the rows changed since that job started
 * (an incremental export on `filterDateField`).
 */
const download = async (request: BulkRequest) => {
  const body = parseDownloadBody(request.event.jsonBody);
  const from =
    body.from ??
    (body.continueFromJobId === undefined
      ? undefined
      : await continuedFrom(request.jobs, body.objectName, body.continueFromJobId));
  const dateField =
    body.filterDateField ?? (request.instance.configuration['bulk.query.field_name'] || 'sys_updated_on');
  const job = await createDownload(
    request,
    body.objectName,
    {
      format: body.downloadFormat,
      ...(body.where === undefined ? {} : { where: body.where }),
      ...(body.orderBy === undefined ? {} : { orderBy: body.orderBy }),
      ...(body.fields === undefined ? {} : { selectFields: body.fields }),
      ...(from === undefined ? {} : { from }),
      ...(body.to === undefined ? {} : { to: body.to }),
      filterDateField: dateField,
      ...(body.limit === undefined ? {} : { limit: body.limit }),
      ...(body.pageSize === undefined ? {} : { pageSize: body.pageSize }),
      ...(body.partitions === undefined ? {} : { partitions: body.partitions }),
    },
    {
      ...(body.notificationUrl === undefined ? {} : { notificationUrl: body.notificationUrl }),
      callbackPayload: callbackPayloadOf(body.metaData ?? {}),
    },
  );
  return createdView(job);
};

/** Seconds a presigned download URL stays valid: long enough to start, short enough not to leak for long. */
export const DOWNLOAD_URL_TTL_SECONDS = 300;

/**
 * `GET /bulk/{id}/{objectName}`: the finished file in the format `Accept` asks for. In AWS a 302 to a
 * short-lived presigned S3 URL (Lambda responses are buffered and capped at 6 MB, so files never travel
 * through the function); with a blob store that cannot presign (tests), the body itself. A format other
 * than the job's own is converted once by the worker (202 + Retry-After until it is ready).
 */
const file = async (request: BulkRequest) => {
  const objectName = String(request.params.objectName);
  const accept = headerOf(request.event, 'accept');
  const found = await downloadFile(request.jobs, request.params.id ?? '', objectName, accept);
  const { job, format } = found;
  if (found.status === 'converting') {
    const seconds = found.retryAfterSeconds;
    const message = `The file is being converted to ${FORMAT_CONTENT_TYPE[format]}; ask again in ${seconds} s`;
    return response(
      202,
      { id: job.id, status: 'CONVERTING', format: FORMAT_CONTENT_TYPE[format], message },
      { 'Retry-After': String(seconds), 'Cache-Control': 'no-store' },
    );
  }
  const blobs = request.blobStore();
  const url = await blobs.presignGetUrl(found.key, DOWNLOAD_URL_TTL_SECONDS);
  if (url !== undefined)
    return response(302, undefined, { Location: url, 'Cache-Control': 'private, no-store', Vary: 'Accept' });
  const object = await blobs.get(found.key);
  if (object === undefined) throw new GoneError('The bulk file has expired');
  const chunks: Buffer[] = [];
  for await (const chunk of object.body) chunks.push(chunk as Buffer);
  return response(200, Buffer.concat(chunks).toString('utf8'), {
    'Content-Type': FORMAT_CONTENT_TYPE[format],
    'Content-Disposition': `attachment; filename="${job.objectName}.${FORMAT_EXTENSION[format]}"`,
    'Cache-Control': 'private, no-store',
    'X-Content-Type-Options': 'nosniff',
    Vary: 'Accept',
  });
};

export const downloadRoutes: BulkRouteTable = {
  'POST /bulk/query': query,
  'POST /bulk/download': download,
  'GET /bulk/{id}/{objectName}': file,
};
