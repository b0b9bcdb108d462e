/**
 * What an AWS API request asks for, in IAM's terms: the caller's access key id and each (action,
 * resource ARN) pair the call needs. Covers the four services the element uses (DynamoDB, SQS, S3,
 * Secrets Manager) in the protocols SDK v3 speaks to them.
 */
export type AwsService = 'dynamodb' | 'sqs' | 's3' | 'secretsmanager';

export interface RequestedAccess {
  action: string;
  resource: string;
}

export interface AwsRequest {
  method: string;
  /** Path and query as received. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface ArnContext {
  region: string;
  accountId: string;
  /** Secrets Manager: the ARN of an existing secret by name or ARN (ARNs carry a random suffix). */
  secretArn(id: string): string | undefined;
}

const header = (request: AwsRequest, name: string): string | undefined => {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** SigV4 access key id, from the Authorization header or a presigned URL's X-Amz-Credential. */
export const accessKeyIdOf = (request: AwsRequest): string | undefined => {
  const authorization = header(request, 'authorization');
  const fromHeader = authorization && /Credential=([^/,\s]+)\//.exec(authorization)?.[1];
  if (fromHeader) return fromHeader;
  const credential = new URL(request.url, 'http://x').searchParams.get('X-Amz-Credential');
  return credential?.split('/')[0] || undefined;
};

/** `Prefix.Operation` of the awsJson protocols. */
export const targetOperation = (request: AwsRequest): string | undefined =>
  header(request, 'x-amz-target')?.split('.').pop();

const jsonBody = (request: AwsRequest): Record<string, unknown> => {
  try {
    const parsed: unknown = JSON.parse(request.body.toString('utf8') || '{}');
    return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
};

const dynamodbAccess = (request: AwsRequest, context: ArnContext): RequestedAccess[] => {
  const operation = targetOperation(request) ?? 'Unknown';
  const body = jsonBody(request);
  const tableArn = (table: unknown, index?: unknown) =>
    `arn:aws:dynamodb:${context.region}:${context.accountId}:table/${String(table)}${index ? `/index/${String(index)}` : ''}`;
  if (operation === 'BatchGetItem' || operation === 'BatchWriteItem') {
    return Object.keys((body.RequestItems as object | undefined) ?? {}).map((table) => ({
      action: `dynamodb:${operation}`,
      resource: tableArn(table),
    }));
  }
  if (operation === 'TransactWriteItems' || operation === 'TransactGetItems') {
    const kinds: Record<string, string> = {
      Put: 'PutItem',
      Update: 'UpdateItem',
      Delete: 'DeleteItem',
      ConditionCheck: 'ConditionCheckItem',
      Get: 'GetItem',
    };
    return ((body.TransactItems as Record<string, { TableName?: string }>[] | undefined) ?? []).flatMap(
      (item) =>
        Object.entries(item).map(([kind, detail]) => ({
          action: `dynamodb:${kinds[kind] ?? kind}`,
          resource: tableArn(detail.TableName),
        })),
    );
  }
  if (operation === 'ListTables') return [{ action: 'dynamodb:ListTables', resource: '*' }];
  return [{ action: `dynamodb:${operation}`, resource: tableArn(body.TableName, body.IndexName) }];
};

/** SQS batch calls are authorized by their single-message action. */
const SQS_BATCH_ACTIONS: Record<string, string> = {
  SendMessageBatch: 'SendMessage',
  DeleteMessageBatch: 'DeleteMessage',
  ChangeMessageVisibilityBatch: 'ChangeMessageVisibility',
};

const sqsAccess = (request: AwsRequest, context: ArnContext): RequestedAccess[] => {
  let operation = targetOperation(request);
  let queueUrl: unknown;
  let queueName: unknown;
  if (operation) {
    const body = jsonBody(request);
    queueUrl = body.QueueUrl;
    queueName = body.QueueName;
  } else {
    // The query protocol (form-encoded Action=...), which older SDKs speak.
    const form = new URLSearchParams(request.body.toString('utf8'));
    operation = form.get('Action') ?? 'Unknown';
    queueUrl = form.get('QueueUrl') ?? undefined;
    queueName = form.get('QueueName') ?? undefined;
  }
  const name = typeof queueUrl === 'string' ? queueUrl.split('/').filter(Boolean).pop() : queueName;
  const action = `sqs:${SQS_BATCH_ACTIONS[operation] ?? operation}`;
  if (operation === 'ListQueues') return [{ action, resource: '*' }];
  return [{ action, resource: `arn:aws:sqs:${context.region}:${context.accountId}:${String(name)}` }];
};

const secretsManagerAccess = (request: AwsRequest, context: ArnContext): RequestedAccess[] => {
  const operation = targetOperation(request) ?? 'Unknown';
  const body = jsonBody(request);
  const prefix = `arn:aws:secretsmanager:${context.region}:${context.accountId}:secret:`;
  if (operation === 'CreateSecret') {
    // A new secret's ARN is its name plus a random six-character suffix.
    const resource = `${prefix}${String(body.Name)}-AbCdEf`;
    const tagged = Array.isArray(body.Tags) && body.Tags.length > 0;
    return [
      { action: 'secretsmanager:CreateSecret', resource },
      ...(tagged ? [{ action: 'secretsmanager:TagResource', resource }] : []),
    ];
  }
  if (operation === 'ListSecrets' || operation === 'GetRandomPassword') {
    return [{ action: `secretsmanager:${operation}`, resource: '*' }];
  }
  const id = String(body.SecretId);
  const resource = context.secretArn(id) ?? (id.startsWith('arn:') ? id : `${prefix}${id}`);
  return [{ action: `secretsmanager:${operation}`, resource }];
};

const decodeKey = (key: string) => {
  try {
    return decodeURIComponent(key);
  } catch {
    return key;
  }
};

const s3Access = (request: AwsRequest): RequestedAccess[] => {
  const url = new URL(request.url, 'http://x');
  const [bucket = '', ...keyParts] = url.pathname.slice(1).split('/');
  const key = decodeKey(keyParts.join('/'));
  const query = url.searchParams;
  const bucketArn = `arn:aws:s3:::${bucket}`;
  const objectArn = `${bucketArn}/${key}`;
  const method = request.method.toUpperCase();
  const one = (action: string, resource: string): RequestedAccess[] => [{ action: `s3:${action}`, resource }];
  if (keyParts.length === 0 || key === '') {
    if (method === 'POST' && query.has('delete')) {
      const keys = [...request.body.toString('utf8').matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1] ?? '');
      return keys.map((k) => ({ action: 's3:DeleteObject', resource: `${bucketArn}/${xmlUnescape(k)}` }));
    }
    if (method === 'PUT') return one('CreateBucket', bucketArn);
    if (method === 'DELETE') return one('DeleteBucket', bucketArn);
    if (query.has('uploads')) return one('ListBucketMultipartUploads', bucketArn);
    if (query.has('location')) return one('GetBucketLocation', bucketArn);
    return one('ListBucket', bucketArn);
  }
  switch (method) {
    case 'GET':
      if (query.has('uploadId')) return one('ListMultipartUploadParts', objectArn);
      if (query.has('tagging')) return one('GetObjectTagging', objectArn);
      return one('GetObject', objectArn);
    case 'HEAD':
      return one('GetObject', objectArn);
    case 'PUT': {
      if (query.has('tagging')) return one('PutObjectTagging', objectArn);
      const copySource = header(request, 'x-amz-copy-source');
      if (copySource && !query.has('partNumber')) {
        const source = decodeKey(copySource.replace(/^\//, '').split('?')[0] ?? '');
        return [...one('GetObject', `arn:aws:s3:::${source}`), ...one('PutObject', objectArn)];
      }
      return one('PutObject', objectArn);
    }
    case 'POST':
      // CreateMultipartUpload (?uploads) and CompleteMultipartUpload (?uploadId) are PutObject.
      return one('PutObject', objectArn);
    case 'DELETE':
      return query.has('uploadId') ? one('AbortMultipartUpload', objectArn) : one('DeleteObject', objectArn);
    default:
      return one(method, objectArn);
  }
};

const xmlUnescape = (text: string) =>
  text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');

/** Every (action, resource) the request needs; all must be allowed. */
export const requestedAccess = (
  service: AwsService,
  request: AwsRequest,
  context: ArnContext,
): RequestedAccess[] => {
  switch (service) {
    case 'dynamodb':
      return dynamodbAccess(request, context);
    case 'sqs':
      return sqsAccess(request, context);
    case 'secretsmanager':
      return secretsManagerAccess(request, context);
    case 's3':
      return s3Access(request);
  }
};

/** How each service answers a refused call, so the SDK raises the error it would raise against AWS. */
export const deniedResponse = (
  service: AwsService,
  code: 'AccessDenied' | 'UnknownAccessKey',
  message: string,
  requestId: string,
): { status: number; headers: Record<string, string>; body: string } => {
  if (service === 's3') {
    const s3Code = code === 'AccessDenied' ? 'AccessDenied' : 'InvalidAccessKeyId';
    return {
      status: 403,
      headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId },
      body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${s3Code}</Code><Message>${xmlEscape(message)}</Message><RequestId>${requestId}</RequestId></Error>`,
    };
  }
  if (service === 'sqs') {
    const type = code === 'AccessDenied' ? 'AccessDenied' : 'InvalidClientTokenId';
    return {
      status: code === 'AccessDenied' ? 400 : 403,
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amzn-requestid': requestId,
        'x-amzn-query-error': `${type};Sender`,
      },
      body: JSON.stringify({ __type: `com.amazon.coral.service#${type}Exception`, message }),
    };
  }
  const type = code === 'AccessDenied' ? 'AccessDeniedException' : 'UnrecognizedClientException';
  return {
    status: 400,
    headers: {
      'content-type': service === 'dynamodb' ? 'application/x-amz-json-1.0' : 'application/x-amz-json-1.1',
      'x-amzn-requestid': requestId,
      'x-amzn-errortype': type,
    },
    body: JSON.stringify({
      __type: service === 'dynamodb' ? `com.amazonaws.dynamodb.v20120810#${type}` : type,
      message,
    }),
  };
};

const xmlEscape = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
