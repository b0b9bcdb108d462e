import type { BulkMessage } from '../jobs';

const INCOMING_KEY = /^incoming\/(\d{1,15})\/([A-Za-z0-9_-]{1,128})$/;
const KINDS: ReadonlySet<unknown> = new Set(['download-chunk', 'complete', 'upload', 'notify', 'convert']);
const FORMATS: ReadonlySet<unknown> = new Set(['csv', 'json', 'jsonl']);

type S3Record = { eventName?: unknown; s3?: { object?: { key?: unknown } } };

/** A presigned upload landed under `incoming/<instanceId>/<jobId>`: start that upload job. */
const uploadsOf = (records: S3Record[]): BulkMessage[] => {
  const messages: BulkMessage[] = [];
  for (const record of records) {
    if (typeof record?.eventName !== 'string' || !record.eventName.startsWith('ObjectCreated:')) continue;
    const rawKey = record.s3?.object?.key;
    if (typeof rawKey !== 'string') continue;
    // S3 notifications URL-encode keys, spaces as '+'.
    let key: string;
    try {
      key = decodeURIComponent(rawKey.replaceAll('+', ' '));
    } catch {
      continue;
    }
    const match = INCOMING_KEY.exec(key);
    if (match?.[1] !== undefined && match[2] !== undefined) {
      messages.push({ instanceId: match[1], jobId: match[2], kind: 'upload' });
    }
  }
  return messages;
};

const isCount = (n: unknown) =>
  n === undefined || (typeof n === 'number' && Number.isSafeInteger(n) && n >= 0);

/** A BulkMessage the API or the worker queued, or undefined when a field is missing or out of range. */
const bulkMessageOf = (value: Record<string, unknown>): BulkMessage | undefined => {
  const { jobId, instanceId, kind, chunk, partition, format } = value;
  if (typeof jobId !== 'string' || typeof instanceId !== 'string' || !KINDS.has(kind)) return undefined;
  if (format !== undefined && !FORMATS.has(format)) return undefined;
  if (!isCount(chunk) || !isCount(partition)) return undefined;
  return {
    jobId,
    instanceId,
    kind: kind as BulkMessage['kind'],
    ...(chunk === undefined ? {} : { chunk: chunk as number }),
    ...(partition === undefined ? {} : { partition: partition as number }),
    ...(format === undefined ? {} : { format: format as NonNullable<BulkMessage['format']> }),
  };
};

/**
 * The jobs a bulk queue message asks to run: a BulkMessage, or the uploads an S3 event notification
 * announces (`s3:TestEvent` and other events are ignored). Empty for a message to drop (unreadable,
 * test event, foreign key).
 */
export const messagesOf = (body: string): BulkMessage[] => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return [];
  }
  if (typeof parsed !== 'object' || parsed === null) return [];
  const value = parsed as Record<string, unknown>;
  if (Array.isArray(value.Records)) return uploadsOf(value.Records as S3Record[]);
  const message = bulkMessageOf(value);
  return message === undefined ? [] : [message];
};
