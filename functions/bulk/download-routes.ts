import {
  callbackPayloadOf,
  type DownloadRequest,
  parseBulkQuery,
  parseDownloadBody,
  parseMetaData,
  planDownload,
  resolveBulkObject,
} from '../../shared/bulk/api';
import {
  type DownloadFormat,
  FORMAT_CONTENT_TYPE,
  FORMAT_EXTENSION,
  parseDownloadFormat,
} from '../../shared/bulk/download';
import { getJob } from '../../shared/bulk/jobs';
import { badRequest, ElementError, notFound } from '../../shared/errors';
import { parseMultipartFields } from '../../shared/hub/attachments/multipart';
import { response } from '../middleware';
import { mediaTypeOf } from '../middleware/json-body-parser';
import type { BulkRequest, BulkRouteTable } from './context';
import { headerOf } from './context';
import { callbackUrlOf, createdView, startJob } from './start-job';

/** Text fields of a urlencoded or multipart form (CE sends `metaData` as a form field); files are skipped. */
const formFields = (request: BulkRequest): Promise<Record<string, string>> => {
  const { event } = request;
  const contentType = headerOf(event, 'content-type') ?? '';
  const mediaType = mediaTypeOf(contentType);
  const raw = event.body ?? '';
  if (raw === '') return Promise.resolve({});
  const body = Buffer.from(raw, event.isBase64Encoded ? 'base64' : 'utf8');
  if (mediaType === 'application/x-www-form-urlencoded') {
    return Promise.resolve(Object.fromEntries(new URLSearchParams(body.toString('utf8'))));
  }
  if (mediaType !== 'multipart/form-data') return Promise.resolve({});
  return parseMultipartFields(body, contentType);
};

const metaDataOf = async (request: BulkRequest): Promise<Record<string, unknown>> => {
  const json = request.event.jsonBody;
  if (json !== undefined) {
    if (typeof json !== 'object' || json === null || Array.isArray(json))
      throw badRequest('Body must be a JSON object');
    return parseMetaData((json as { metaData?: unknown }).metaData);
  }
  return parseMetaData((await formFields(request)).metaData);
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
  return startJob(request, {
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
  let from = body.from;
  if (body.continueFromJobId !== undefined && from === undefined) {
    const previous = await getJob(
      request.deps.stateTable,
      String(request.instance.id),
      body.continueFromJobId,
    );
    if (previous === undefined || previous.direction !== 'download') {
      throw notFound(`No download job ${body.continueFromJobId.slice(0, 128)} to continue from`);
    }
    if (previous.objectName !== body.objectName || previous.status !== 'COMPLETED') {
      throw badRequest('continueFromJobId must name a COMPLETED download of the same objectName');
    }
    from = previous.startedAt ?? previous.createdAt;
  }
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

/** Which stored formats an Accept header can take (CE's "application/json" download is one record per line). */
const ACCEPTS: Record<DownloadFormat, readonly string[]> = {
  csv: ['text/csv', 'txt/csv'],
  jsonl: ['application/json', 'application/jsonl', 'application/x-ndjson', 'application/x-jsonlines'],
  json: ['application/json'],
};

const acceptable = (accept: string | undefined, format: DownloadFormat): boolean => {
  if (accept === undefined) return true;
  const types = accept.split(',').map((part) => part.split(';')[0]?.trim().toLowerCase() ?? '');
  return types.some((type) => type === '*/*' || type === '' || ACCEPTS[format].includes(type));
};

/** Seconds a presigned download URL stays valid: long enough to start, short enough not to leak for long. */
export const DOWNLOAD_URL_TTL_SECONDS = 300;

/**
 * `GET /bulk/{id}/{objectName}`: the finished file. In AWS a 302 to a short-lived presigned S3 URL
 * (Lambda responses are buffered and capped at 6 MB, so files never travel through the function);
 * in local mode (no presigned URLs) the body itself.
 */
const file = async (request: BulkRequest) => {
  const id = request.params.id ?? '';
  const job = await getJob(request.deps.stateTable, String(request.instance.id), id);
  if (job === undefined || job.direction !== 'download' || job.objectName !== request.params.objectName) {
    throw notFound(
      `No bulk download ${id.slice(0, 128)} of ${String(request.params.objectName).slice(0, 128)}`,
    );
  }
  const format = job.download?.job.format ?? 'jsonl';
  const key = job.download?.resultKey;
  if (job.status !== 'COMPLETED' || key === undefined) {
    throw new ElementError(409, `The bulk job is ${job.status}; its file is available once it is COMPLETED`);
  }
  if (!acceptable(headerOf(request.event, 'accept'), format)) {
    throw new ElementError(
      406,
      `This job's file is ${FORMAT_CONTENT_TYPE[format]}; ask for that media type (or */*)`,
    );
  }
  const headers = {
    'Content-Type': FORMAT_CONTENT_TYPE[format],
    'Content-Disposition': `attachment; filename="${job.objectName}.${FORMAT_EXTENSION[format]}"`,
    'Cache-Control': 'private, no-store',
    'X-Content-Type-Options': 'nosniff',
  };
  const blobs = request.blobStore();
  const url = await blobs.presignGetUrl(key, DOWNLOAD_URL_TTL_SECONDS);
  if (url !== undefined)
    return response(302, undefined, { Location: url, 'Cache-Control': 'private, no-store' });
  const object = await blobs.get(key);
  if (object === undefined) throw new ElementError(410, 'The bulk file has expired');
  const chunks: Buffer[] = [];
  for await (const chunk of object.body) chunks.push(chunk as Buffer);
  return response(200, Buffer.concat(chunks).toString('utf8'), headers);
};

export const downloadRoutes: BulkRouteTable = {
  'POST /bulk/query': query,
  'POST /bulk/download': download,
  'GET /bulk/{id}/{objectName}': file,
};
