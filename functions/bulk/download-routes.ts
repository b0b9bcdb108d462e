import {
  callbackPayloadOf,
  createdView,
  type DownloadRequest,
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
import {
  type BulkJob,
  bulkMessage,
  CONVERSION_STALE_MS,
  getJob,
  setConvertedFile,
} from '../../shared/bulk/jobs';
import {
  ConflictError,
  ElementError,
  GoneError,
  InvalidInputError,
  NotFoundError,
  UnavailableError,
} from '../../shared/errors';
import { parseMultipartFields } from '../../shared/hub/attachments/multipart';
import { response } from '../middleware';
import { mediaTypeOf } from '../middleware/json-body-parser';
import type { BulkRequest, BulkRouteTable } from './context';
import { callbackUrlOf, headerOf } from './context';

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
      throw new InvalidInputError('Body must be a JSON object');
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
  let from = body.from;
  if (body.continueFromJobId !== undefined && from === undefined) {
    const previous = await getJob(
      request.deps.stateTable,
      String(request.instance.id),
      body.continueFromJobId,
    );
    if (previous === undefined || previous.direction !== 'download') {
      throw new NotFoundError(`No download job ${body.continueFromJobId.slice(0, 128)} to continue from`);
    }
    if (previous.objectName !== body.objectName || previous.status !== 'COMPLETED') {
      throw new InvalidInputError('continueFromJobId must name a COMPLETED download of the same objectName');
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

/** Media types of each format in an Accept header (CE documents `txt/csv` [sic]). */
const MEDIA_FORMAT: Record<string, DownloadFormat> = {
  'text/csv': 'csv',
  'txt/csv': 'csv',
  'text/*': 'csv',
  'application/jsonl': 'jsonl',
  'application/x-ndjson': 'jsonl',
  'application/x-jsonlines': 'jsonl',
  'application/jsonlines': 'jsonl',
};

/**
 * The format an Accept header asks for, or undefined when it accepts none (406). CE's JSON download is
 * one record per line, so `application/json` is JSON lines, or the job's own array when it was made as
 * one; `application/json; format=array` asks for the array explicitly. Ties in quality go to the job's
 * own format (no conversion), then to the order written.
 */
export const negotiateFormat = (
  accept: string | undefined,
  stored: DownloadFormat,
): DownloadFormat | undefined => {
  if (accept === undefined || accept.trim() === '') return stored;
  const jsonDefault: DownloadFormat = stored === 'csv' ? 'jsonl' : stored;
  let best: { format: DownloadFormat; q: number } | undefined;
  for (const part of accept.split(',')) {
    const [rawType, ...rawParams] = part.split(';');
    const type = rawType?.trim().toLowerCase() ?? '';
    const params = new Map(
      rawParams.map((param) => {
        const [name, value] = param.split('=');
        return [name?.trim().toLowerCase() ?? '', value?.trim().replace(/^"|"$/g, '').toLowerCase() ?? ''];
      }),
    );
    const q = params.has('q') ? Number(params.get('q')) : 1;
    if (!(q > 0)) continue;
    let format: DownloadFormat | undefined = MEDIA_FORMAT[type];
    if (type === 'application/json') {
      const shape = params.get('format');
      format = shape === 'array' ? 'json' : shape === 'lines' ? 'jsonl' : jsonDefault;
    } else if (type === '*/*' || type === '') format = stored;
    else if (type === 'application/*') format = jsonDefault;
    if (format === undefined) continue;
    if (best === undefined || q > best.q || (q === best.q && format === stored && best.format !== stored)) {
      best = { format, q };
    }
  }
  return best?.format;
};

/** Seconds a presigned download URL stays valid: long enough to start, short enough not to leak for long. */
export const DOWNLOAD_URL_TTL_SECONDS = 300;

/** Roughly how fast the worker converts (bytes/s), for Retry-After: 1-60 s. */
const CONVERSION_BYTES_PER_SECOND = 50 * 1024 * 1024;

/**
 * The file in `format` is being written by the worker: queue its conversion unless one is under way,
 * and answer 202 with Retry-After (the client asks again; files never pass through this function).
 */
const converting = async (request: BulkRequest, job: BulkJob, format: DownloadFormat) => {
  const deps = { stateTable: request.deps.stateTable, now: () => request.deps.now().getTime() };
  const fresh = (current: BulkJob) => {
    const pending = current.files?.[format];
    return (
      pending?.status === 'PENDING' &&
      Date.parse(pending.requestedAt) + CONVERSION_STALE_MS > request.deps.now().getTime()
    );
  };
  if (!fresh(job)) {
    const requestedAt = request.deps.now().toISOString();
    const updated = await setConvertedFile(
      deps,
      job,
      format,
      { status: 'PENDING', requestedAt },
      { unless: (current) => fresh(current) || current.files?.[format]?.status === 'READY' },
    );
    // Queued only by the request that recorded PENDING (another request or a finished worker won otherwise).
    if (updated?.files?.[format]?.requestedAt === requestedAt) {
      const { failed } = await request
        .queue()
        .sendBatch([bulkMessage({ jobId: job.id, instanceId: job.instanceId, kind: 'convert', format })]);
      if (failed.length > 0)
        throw new UnavailableError('The conversion could not be queued; try again later');
    }
  }
  const source = await request.blobStore().head(job.download?.resultKey ?? '');
  const seconds = Math.min(60, Math.max(1, Math.ceil((source?.size ?? 0) / CONVERSION_BYTES_PER_SECOND)));
  return response(
    202,
    {
      id: job.id,
      status: 'CONVERTING',
      format: FORMAT_CONTENT_TYPE[format],
      message: `The file is being converted to ${FORMAT_CONTENT_TYPE[format]}; ask again in ${seconds} s`,
    },
    { 'Retry-After': String(seconds), 'Cache-Control': 'no-store' },
  );
};

/**
 * `GET /bulk/{id}/{objectName}`: the finished file in the format `Accept` asks for. In AWS a 302 to a
 * short-lived presigned S3 URL (Lambda responses are buffered and capped at 6 MB, so files never travel
 * through the function); with a blob store that cannot presign (tests), the body itself. A format other
 * than the job's own is converted once by the worker (202 + Retry-After until it is ready).
 */
const file = async (request: BulkRequest) => {
  const id = request.params.id ?? '';
  const job = await getJob(request.deps.stateTable, String(request.instance.id), id);
  if (job === undefined || job.direction !== 'download' || job.objectName !== request.params.objectName) {
    throw new NotFoundError(
      `No bulk download ${id.slice(0, 128)} of ${String(request.params.objectName).slice(0, 128)}`,
    );
  }
  const stored = job.download?.job.format ?? 'jsonl';
  const storedKey = job.download?.resultKey;
  if (job.status !== 'COMPLETED' || storedKey === undefined) {
    throw new ConflictError(`The bulk job is ${job.status}; its file is available once it is COMPLETED`);
  }
  const format = negotiateFormat(headerOf(request.event, 'accept'), stored);
  if (format === undefined) {
    throw new ElementError(
      406,
      'A bulk file is served as text/csv, application/jsonl or application/json (JSON lines; an array with application/json; format=array)',
    );
  }
  let key = storedKey;
  if (format !== stored) {
    const converted = job.files?.[format];
    if (converted?.status === 'ERROR') {
      throw new ElementError(converted.statusCode ?? 500, converted.error ?? 'The conversion failed');
    }
    if (converted?.status !== 'READY' || converted.key === undefined) return converting(request, job, format);
    key = converted.key;
  }
  const headers = {
    'Content-Type': FORMAT_CONTENT_TYPE[format],
    'Content-Disposition': `attachment; filename="${job.objectName}.${FORMAT_EXTENSION[format]}"`,
    'Cache-Control': 'private, no-store',
    'X-Content-Type-Options': 'nosniff',
    Vary: 'Accept',
  };
  const blobs = request.blobStore();
  const url = await blobs.presignGetUrl(key, DOWNLOAD_URL_TTL_SECONDS);
  if (url !== undefined)
    return response(302, undefined, { Location: url, 'Cache-Control': 'private, no-store', Vary: 'Accept' });
  const object = await blobs.get(key);
  if (object === undefined) throw new GoneError('The bulk file has expired');
  const chunks: Buffer[] = [];
  for await (const chunk of object.body) chunks.push(chunk as Buffer);
  return response(200, Buffer.concat(chunks).toString('utf8'), headers);
};

export const downloadRoutes: BulkRouteTable = {
  'POST /bulk/query': query,
  'POST /bulk/download': download,
  'GET /bulk/{id}/{objectName}': file,
};
