/**
 * Starting a download job from the two ways the bulk API asks for one: `POST /bulk/query` (CEQL `q` and
 * query parameters) and `POST /bulk/download` (CE bulk v3 JSON body).
 */
import { type DownloadFormat, parseDownloadFormat } from '../download';
import { parseBulkQuery } from './bulk-query';
import { type BulkCaller, callbackUrlOf } from './caller';
import { type DownloadRequest, planDownload } from './download-plan';
import { continuedFrom } from './download-service';
import { createdView, startJob } from './job-service';
import { callbackPayloadOf, parseDownloadBody } from './requests';
import { resolveBulkObject } from './resolve-object';

const startDownload = async (
  caller: BulkCaller,
  objectName: string,
  download: DownloadRequest,
  extra: { notificationUrl?: string; callbackPayload?: unknown },
) => {
  const { instance, jobs } = caller;
  const object = await resolveBulkObject(jobs.stateTable, instance, objectName);
  const job = await planDownload(await caller.client(), instance.id, object, download);
  const notificationUrl = await callbackUrlOf(caller, extra.notificationUrl);
  return createdView(
    await startJob(jobs, {
      direction: 'download',
      objectName,
      table: object.table,
      download: { job },
      ...(notificationUrl === undefined ? {} : { notificationUrl }),
      ...(extra.callbackPayload === undefined ? {} : { callbackPayload: extra.callbackPayload }),
    }),
  );
};

/** `bulk.query.field_name` of the instance (default `sys_updated_on`): the field `from`/`to` filter on. */
const dateFieldOf = (caller: BulkCaller) =>
  caller.instance.configuration['bulk.query.field_name'] || 'sys_updated_on';

/** `bulk.query.download_format` (default `json`): CE's JSON download is one record per line. */
const defaultFormat = (caller: BulkCaller): DownloadFormat => {
  const configured = caller.instance.configuration['bulk.query.download_format'];
  const format = parseDownloadFormat(configured || 'json');
  return format === 'json' ? 'jsonl' : format;
};

/** `POST /bulk/query?q=select ... from ... [where ...] [order by ...]` (+ format, lastRunDate, from, to, partitions). */
export const startQueryDownload = async (
  caller: BulkCaller,
  query: URLSearchParams,
  /** The body's `metaData` (JSON or a form field), read once `q` is known to be valid. */
  metaDataOf: () => Promise<Record<string, unknown>>,
) => {
  const q = parseBulkQuery(query.get('q'));
  const metaData = await metaDataOf();
  const formatText =
    query.get('format') ?? (typeof metaData.format === 'string' ? metaData.format : undefined);
  const format = formatText === undefined ? defaultFormat(caller) : parseDownloadFormat(formatText);
  const from = query.get('from') ?? query.get('lastRunDate') ?? undefined;
  const to = query.get('to') ?? undefined;
  const partitions = query.get('partitions') ?? undefined;
  return startDownload(
    caller,
    q.objectName,
    {
      format,
      ...(q.where === undefined ? {} : { where: q.where }),
      ...(q.orderBy === undefined ? {} : { orderBy: q.orderBy }),
      ...(q.selectFields === undefined ? {} : { selectFields: q.selectFields }),
      ...(from === undefined ? {} : { from }),
      ...(to === undefined ? {} : { to }),
      filterDateField: dateFieldOf(caller),
      // Checked with the rest of the request (buildDownloadJob): Number('') and Number('x') fail there too.
      ...(partitions === undefined
        ? {}
        : { partitions: partitions.trim() === '' ? Number.NaN : Number(partitions) }),
    },
    { callbackPayload: callbackPayloadOf(metaData) },
  );
};

/**
 * `POST /bulk/download` (CE bulk v3). `continueFromJobId` names an earlier COMPLETED download of the
 * same object: without an explicit `from`, this one takes the rows changed since that job started
 * (an incremental export on `filterDateField`).
 */
export const startBodyDownload = async (caller: BulkCaller, jsonBody: unknown) => {
  const body = parseDownloadBody(jsonBody);
  const from =
    body.from ??
    (body.continueFromJobId === undefined
      ? undefined
      : await continuedFrom(caller.jobs, body.objectName, body.continueFromJobId));
  return startDownload(
    caller,
    body.objectName,
    {
      format: body.downloadFormat,
      ...(body.where === undefined ? {} : { where: body.where }),
      ...(body.orderBy === undefined ? {} : { orderBy: body.orderBy }),
      ...(body.fields === undefined ? {} : { selectFields: body.fields }),
      ...(from === undefined ? {} : { from }),
      ...(body.to === undefined ? {} : { to: body.to }),
      filterDateField: body.filterDateField ?? dateFieldOf(caller),
      ...(body.limit === undefined ? {} : { limit: body.limit }),
      ...(body.pageSize === undefined ? {} : { pageSize: body.pageSize }),
      ...(body.partitions === undefined ? {} : { partitions: body.partitions }),
    },
    {
      ...(body.notificationUrl === undefined ? {} : { notificationUrl: body.notificationUrl }),
      callbackPayload: callbackPayloadOf(body.metaData ?? {}),
    },
  );
};
