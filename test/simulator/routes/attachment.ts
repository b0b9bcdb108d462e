/**
 * Attachment API. Metadata rows live in the database's
 * `sys_attachment` table; the bytes live in the server's map.
 */
import { randomBytes } from 'node:crypto';
import busboy from 'busboy';
import {
  envelope,
  invalidJson,
  invalidLimit,
  invalidTable,
  methodNotSupported,
  noRecordFound,
} from '../envelopes';
import type { SimRecord } from '../store/types';
import { empty, fail, json, type RouteContext, type SimRequest, type SimResponse } from './context';
import { parseLimit, parseOffset } from './params';
import { linkHeader } from './table';

/** C.1: the attachment list defaults to 1000 rows. */
export const DEFAULT_ATTACHMENT_LIMIT = 1000;
const TABLE = 'sys_attachment';

export const ATTACHMENT_PATH = /^\/api\/now(?:\/v1)?\/attachment(?:\/([^/]+))?(?:\/(file))?\/?$/;

interface Upload {
  tableName: string;
  tableSysId: string;
  fileName: string;
  contentType: string;
  bytes: Buffer;
}

export async function attachmentRoute(
  req: SimRequest,
  ctx: RouteContext,
  match: RegExpMatchArray,
): Promise<SimResponse> {
  const id = match[1] ? decodeURIComponent(match[1]) : undefined;
  const file = match[2] === 'file';
  if (!ctx.db.table(TABLE)) return fail(invalidTable(TABLE));
  const method = req.method === 'HEAD' ? 'GET' : req.method;

  if (id === undefined) return method === 'GET' ? list(req, ctx) : fail(methodNotSupported(req.method));
  if (id === 'file' && !file) {
    if (method !== 'POST') return fail(methodNotSupported(req.method));
    return store(ctx, fromRawBody(req));
  }
  if (id === 'upload' && !file) {
    if (method !== 'POST') return fail(methodNotSupported(req.method));
    return store(ctx, await fromMultipart(req));
  }
  const record = ctx.db.get(TABLE, id);
  if (!record) return fail(noRecordFound());
  if (file) {
    if (method !== 'GET') return fail(methodNotSupported(req.method));
    return {
      status: 200,
      headers: {
        'content-type': record.content_type || 'application/octet-stream',
        'x-attachment-metadata': JSON.stringify(record),
      },
      body: ctx.attachments.get(id) ?? Buffer.alloc(0),
    };
  }
  if (method === 'GET') return json(200, { result: record });
  if (method === 'PATCH') {
    // C.1: rename with {"file_name":"…"} -> 204.
    let fileName: unknown;
    try {
      fileName = (JSON.parse(req.body.toString('utf8')) as { file_name?: unknown }).file_name;
    } catch {
      return fail(invalidJson());
    }
    if (typeof fileName !== 'string' || fileName === '') {
      return fail(envelope(400, 'Missing required parameter: file_name', null));
    }
    ctx.db.update(TABLE, id, { file_name: fileName }, { userName: ctx.principal.userName });
    return empty(204);
  }
  if (method === 'DELETE') {
    ctx.db.delete(TABLE, id, { userName: ctx.principal.userName });
    ctx.attachments.delete(id);
    return empty(204);
  }
  return fail(methodNotSupported(req.method));
}

function list(req: SimRequest, ctx: RouteContext): SimResponse {
  const limit = parseLimit(req.query, DEFAULT_ATTACHMENT_LIMIT);
  if (limit === 'invalid') return fail(invalidLimit());
  const offset = parseOffset(req.query);
  const result = ctx.db.query(TABLE, {
    query: req.query.get('sysparm_query') ?? '',
    limit,
    offset,
    strict: ctx.strictQueries,
    userSysId: ctx.principal.userSysId,
  });
  ctx.cost.units += result.cost;
  // Paged like the Table API: X-Total-Count and a Link header.
  const headers: Record<string, string> = {};
  if (result.total !== undefined) headers['x-total-count'] = String(result.total);
  const link = linkHeader(ctx, req, limit, offset, result.total, result.rows.length >= limit);
  if (link) headers.link = link;
  return json(200, { result: result.rows }, headers);
}

/** `POST /api/now/attachment/file?table_name&table_sys_id&file_name`: Content-Type is mandatory (C.1). */
function fromRawBody(req: SimRequest): Upload | SimResponse {
  for (const name of ['table_name', 'table_sys_id', 'file_name']) {
    if (!req.query.get(name)) return fail(envelope(400, `Missing required parameter: ${name}`, null));
  }
  const contentType = req.headers['content-type'];
  if (!contentType) return fail(envelope(400, 'Missing required header: Content-Type', null));
  return {
    tableName: req.query.get('table_name') ?? '',
    tableSysId: req.query.get('table_sys_id') ?? '',
    fileName: req.query.get('file_name') ?? '',
    contentType,
    bytes: req.body,
  };
}

/** `POST /api/now/attachment/upload`: form fields first, the file part last (C.1). */
async function fromMultipart(req: SimRequest): Promise<Upload | SimResponse> {
  const contentType = req.headers['content-type'] ?? '';
  if (!contentType.toLowerCase().startsWith('multipart/form-data')) {
    return fail(envelope(400, 'Content-Type must be multipart/form-data', null));
  }
  const fields = new Map<string, string>();
  let filePart:
    | { fileName: string; contentType: string; bytes: Buffer; fieldsBefore: Set<string> }
    | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      const parser = busboy({ headers: { 'content-type': contentType } });
      parser.on('field', (name, value) => {
        if (!filePart) fields.set(name, value);
      });
      parser.on('file', (_name, stream, info) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          filePart ??= {
            fileName: info.filename ?? 'file',
            contentType: info.mimeType,
            bytes: Buffer.concat(chunks),
            fieldsBefore: new Set(fields.keys()),
          };
        });
      });
      parser.on('close', resolve);
      parser.on('error', reject);
      parser.end(req.body);
    });
  } catch {
    return fail(
      envelope(400, 'Failed to create the attachment. File part might be missing in the request.', null),
    );
  }
  if (!filePart) {
    return fail(
      envelope(400, 'Failed to create the attachment. File part might be missing in the request.', null),
    );
  }
  // C.1: fields sent after the file part are not seen.
  for (const name of ['table_name', 'table_sys_id']) {
    if (!filePart.fieldsBefore.has(name))
      return fail(envelope(400, `Missing required parameter: ${name}`, null));
  }
  return {
    tableName: fields.get('table_name') ?? '',
    tableSysId: fields.get('table_sys_id') ?? '',
    fileName: filePart.fileName,
    contentType: filePart.contentType,
    bytes: filePart.bytes,
  };
}

function store(ctx: RouteContext, upload: Upload | SimResponse): SimResponse {
  if ('status' in upload) return upload;
  if (!ctx.db.table(upload.tableName)) return fail(invalidTable(upload.tableName));
  // C.1: 404 when the target record is missing or not accessible.
  if (!ctx.db.get(upload.tableName, upload.tableSysId)) return fail(noRecordFound());
  const sysId = randomBytes(16).toString('hex');
  const values: SimRecord = {
    sys_id: sysId,
    file_name: upload.fileName,
    content_type: upload.contentType,
    size_bytes: String(upload.bytes.length),
    size_compressed: String(upload.bytes.length),
    compressed: 'false',
    download_link: `${ctx.baseUrl}/api/now/attachment/${sysId}/file`,
    table_name: upload.tableName,
    table_sys_id: upload.tableSysId,
    image_width: '',
    image_height: '',
    average_image_color: '',
    created_by_name: ctx.principal.userName,
    updated_by_name: ctx.principal.userName,
    sys_tags: '',
  };
  const known = new Set(ctx.db.fields(TABLE).map((f) => f.name));
  const filtered: SimRecord = {};
  for (const [name, value] of Object.entries(values))
    if (known.size === 0 || known.has(name)) filtered[name] = value;
  const record = ctx.db.insert(TABLE, filtered, { userName: ctx.principal.userName });
  const id = record.sys_id ?? sysId;
  ctx.attachments.set(id, upload.bytes);
  return json(201, { result: record }, { location: `${ctx.baseUrl}/api/now/attachment/${id}` });
}
