import { InvalidInputError } from '../../errors';
import { parseUntrustedJson } from '../../input';
import * as z from '../../validation/zod';
import { type DownloadFormat, MAX_DOWNLOAD_PARTITIONS, parseDownloadFormat } from '../download';
import { type UploadFormat, uploadFormat } from '../upload';
import { MAX_DOWNLOAD_PAGE_SIZE } from './download-plan';

/** CE's JSON `metaData` values may carry `callback-payload`; kept small, it is stored on the job. */
export const MAX_CALLBACK_PAYLOAD_BYTES = 4096;

/** Trimmed, then 1 to `max` characters. */
const trimmed = (max: number) => z.string().check(z.trim(), z.minLength(1), z.maxLength(max));

const isoText = trimmed(64);

/**
 * `POST /bulk/download`, CE bulk v3's `bulkDownloadRequest`. Fields CE lists that have no
 * meaning here (`apiLimit`, `query`, `docsHubDetails`, `filterNulls`) are accepted and ignored, other
 * unknown fields are refused so a typo does not silently widen a download.
 */
export const downloadBodySchema = z.strictObject({
  objectName: trimmed(128),
  format: trimmed(64),
  where: z.optional(z.string().check(z.maxLength(8192))),
  orderBy: z.optional(z.string().check(z.maxLength(1024))),
  selectFields: z.optional(
    z.union([z.array(trimmed(200)).check(z.maxLength(500)), z.string().check(z.maxLength(8192))]),
  ),
  from: z.optional(isoText),
  to: z.optional(isoText),
  filterDateField: z.optional(trimmed(200)),
  limit: z.optional(z.int().check(z.positive())),
  pageSize: z.optional(z.int().check(z.gte(1), z.lte(MAX_DOWNLOAD_PAGE_SIZE))),
  partitions: z.optional(z.int().check(z.gte(1), z.lte(MAX_DOWNLOAD_PARTITIONS))),
  notificationUrl: z.optional(trimmed(2048)),
  continueFromJobId: z.optional(trimmed(128)),
  metaData: z.optional(z.record(z.string(), z.unknown())),
  apiLimit: z.optional(z.unknown()),
  query: z.optional(z.unknown()),
  docsHubDetails: z.optional(z.unknown()),
  filterNulls: z.optional(z.unknown()),
});

export type DownloadBody = z.infer<typeof downloadBodySchema>;

const describeIssue = (issue: z.core.$ZodIssue): string => {
  const path = issue.path.length === 0 ? 'body' : issue.path.join('.');
  if (issue.code === 'unrecognized_keys')
    return `unknown field(s) ${issue.keys.map((key) => JSON.stringify(key)).join(', ')}`;
  return `${path}: ${issue.message}`;
};

export function parseDownloadBody(
  body: unknown,
): DownloadBody & { downloadFormat: DownloadFormat; fields?: string[] } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidInputError('Send a JSON object: {"objectName": "incidents", "format": "text/csv", ...}');
  }
  const parsed = downloadBodySchema.safeParse(body);
  if (!parsed.success) {
    throw new InvalidInputError(
      `Invalid bulk download request: ${parsed.error.issues.slice(0, 5).map(describeIssue).join('; ')}`,
    );
  }
  const value = parsed.data;
  const fields =
    value.selectFields === undefined
      ? undefined
      : (typeof value.selectFields === 'string' ? value.selectFields.split(',') : value.selectFields)
          .map((field) => field.trim())
          .filter((field) => field !== '' && field !== '*');
  return {
    ...value,
    downloadFormat: parseDownloadFormat(value.format),
    ...(fields === undefined || fields.length === 0 ? {} : { fields }),
  };
}

/** CE `metaData` (form field or JSON): a JSON object, possibly sent as text. */
export function parseMetaData(raw: unknown): Record<string, unknown> {
  if (raw === undefined || raw === null || raw === '') return {};
  let value: unknown = raw;
  if (typeof raw === 'string') value = parseUntrustedJson(raw, 'metaData');
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new InvalidInputError('metaData must be a JSON object');
  return value as Record<string, unknown>;
}

/** `callback-payload` from metaData, size-checked; undefined when absent. */
export function callbackPayloadOf(metaData: Record<string, unknown>): unknown {
  const payload = metaData['callback-payload'] ?? metaData.callbackPayload;
  if (payload === undefined) return undefined;
  if (Buffer.byteLength(JSON.stringify(payload)) > MAX_CALLBACK_PAYLOAD_BYTES) {
    throw new InvalidInputError(
      `metaData callback-payload is larger than ${MAX_CALLBACK_PAYLOAD_BYTES} bytes`,
    );
  }
  return payload;
}

export interface UploadOptions {
  format?: UploadFormat;
  identifierField?: string;
}

/** Upload `metaData`: `format` (csv/json/jsonl or a media type), `identifierFieldName` for upsert. */
export function uploadOptionsOf(metaData: Record<string, unknown>): UploadOptions {
  const format = metaData.format;
  if (format !== undefined && typeof format !== 'string')
    throw new InvalidInputError('metaData.format must be a string');
  const identifier = metaData.identifierFieldName ?? metaData.identifierField;
  if (
    identifier !== undefined &&
    (typeof identifier !== 'string' || !/^[A-Za-z0-9_]{1,80}$/.test(identifier))
  ) {
    throw new InvalidInputError('metaData.identifierFieldName must be a field name (letters, digits, _)');
  }
  return {
    ...(format === undefined ? {} : { format: uploadFormat(format) }),
    ...(identifier === undefined ? {} : { identifierField: identifier as string }),
  };
}

/** `POST /bulk/{objectName}/uploads` JSON body. */
export const presignedUploadBodySchema = z.strictObject({
  format: trimmed(64),
  identifierFieldName: z.optional(z.string().check(z.regex(/^[A-Za-z0-9_]{1,80}$/))),
  notificationUrl: z.optional(trimmed(2048)),
  metaData: z.optional(z.record(z.string(), z.unknown())),
});

export function parsePresignedUploadBody(body: unknown) {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidInputError(
      'Send a JSON object: {"format": "text/csv", "identifierFieldName"?: "number"}',
    );
  }
  const parsed = presignedUploadBodySchema.safeParse(body);
  if (!parsed.success) {
    throw new InvalidInputError(
      `Invalid bulk upload request: ${parsed.error.issues.slice(0, 5).map(describeIssue).join('; ')}`,
    );
  }
  return { ...parsed.data, uploadFormat: uploadFormat(parsed.data.format) };
}
