/**
 * The stack runner's parts on their own: IAM evaluation, how AWS requests map to IAM actions, the
 * Lambda invoke limits (timeout, 6 MB, exact environment) and REPORT lines, the HTTP API's own behaviour (authorizer
 * cache, 403, 503, CORS preflight, access log), intrinsic functions and the resource-policy measure.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsRequest, accessKeyIdOf, requestedAccess } from '../../functions/stack-runner/aws-requests';
import { startFrontDoor } from '../../functions/stack-runner/front-door';
import { evaluate } from '../../functions/stack-runner/iam';
import {
  createInvoker,
  type FunctionSpec,
  type InvocationReport,
  type InvokeResult,
} from '../../functions/stack-runner/invoker';
import { resourcePolicySizes } from '../../functions/stack-runner/limits';
import { lambdaNode } from '../../functions/stack-runner/node-runtime';
import { resolveValue } from '../../functions/stack-runner/template';
import { REPO_ROOT } from '../../infra/paths';
import { makeTempDir } from '../adapters/temp-dir';

const arnContext = { region: 'us-east-1', accountId: '000000000000', secretArn: () => undefined };
const request = (method: string, url: string, init: Partial<AwsRequest> = {}): AwsRequest => ({
  method,
  url,
  headers: {},
  body: Buffer.alloc(0),
  ...init,
});
const json = (target: string, body: unknown): Partial<AwsRequest> => ({
  headers: { 'x-amz-target': target },
  body: Buffer.from(JSON.stringify(body)),
});

describe('IAM evaluation', () => {
  const statements = [
    {
      Effect: 'Allow' as const,
      Action: ['s3:Get*', 'sqs:SendMessage'],
      Resource: 'arn:aws:s3:::bucket/jobs/*',
    },
    {
      Effect: 'Allow' as const,
      Action: 'sqs:SendMessage',
      Resource: 'arn:aws:sqs:us-east-1:000000000000:q?',
    },
    { Effect: 'Deny' as const, Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket/jobs/secret' },
  ];
  it('matches actions case-insensitively and resources with * and ?', () => {
    expect(evaluate(statements, 'S3:GETOBJECT', 'arn:aws:s3:::bucket/jobs/a/b.csv')).toBe('allowed');
    expect(evaluate(statements, 's3:GetObject', 'arn:aws:s3:::bucket/incoming/a')).toBe('implicitDeny');
    expect(evaluate(statements, 'sqs:SendMessage', 'arn:aws:sqs:us-east-1:000000000000:q1')).toBe('allowed');
    expect(evaluate(statements, 'sqs:SendMessage', 'arn:aws:sqs:us-east-1:000000000000:q12')).toBe(
      'implicitDeny',
    );
  });
  it('lets an explicit deny win', () => {
    expect(evaluate(statements, 's3:GetObject', 'arn:aws:s3:::bucket/jobs/secret')).toBe('explicitDeny');
  });
});

describe('AWS requests as IAM actions', () => {
  it('maps S3 REST calls, presigned URLs included', () => {
    expect(requestedAccess('s3', request('GET', '/b/jobs/a%20b.csv'), arnContext)).toEqual([
      { action: 's3:GetObject', resource: 'arn:aws:s3:::b/jobs/a b.csv' },
    ]);
    expect(requestedAccess('s3', request('GET', '/b?list-type=2&prefix=jobs/'), arnContext)).toEqual([
      { action: 's3:ListBucket', resource: 'arn:aws:s3:::b' },
    ]);
    expect(requestedAccess('s3', request('PUT', '/b/k?partNumber=1&uploadId=u'), arnContext)[0]?.action).toBe(
      's3:PutObject',
    );
    expect(requestedAccess('s3', request('DELETE', '/b/k?uploadId=u'), arnContext)[0]?.action).toBe(
      's3:AbortMultipartUpload',
    );
    expect(requestedAccess('s3', request('GET', '/b/k?uploadId=u'), arnContext)[0]?.action).toBe(
      's3:ListMultipartUploadParts',
    );
    const deleteObjects = request('POST', '/b?delete', {
      body: Buffer.from('<Delete><Object><Key>x/1</Key></Object></Delete>'),
    });
    expect(requestedAccess('s3', deleteObjects, arnContext)).toEqual([
      { action: 's3:DeleteObject', resource: 'arn:aws:s3:::b/x/1' },
    ]);
    expect(
      accessKeyIdOf(request('GET', '/b/k?X-Amz-Credential=AKIDX%2F20261205%2Fus-east-1%2Fs3%2Faws4_request')),
    ).toBe('AKIDX');
  });
  it('maps SQS batches to their single actions and DynamoDB index queries to the index ARN', () => {
    const send = json('AmazonSQS.SendMessageBatch', {
      QueueUrl: 'http://127.0.0.1:1/000000000000/q1',
      Entries: [],
    });
    expect(requestedAccess('sqs', request('POST', '/', send), arnContext)).toEqual([
      { action: 'sqs:SendMessage', resource: 'arn:aws:sqs:us-east-1:000000000000:q1' },
    ]);
    const query = json('DynamoDB_20120810.Query', { TableName: 't', IndexName: 'gsi1' });
    expect(requestedAccess('dynamodb', request('POST', '/', query), arnContext)).toEqual([
      { action: 'dynamodb:Query', resource: 'arn:aws:dynamodb:us-east-1:000000000000:table/t/index/gsi1' },
    ]);
  });
  it('asks for TagResource when a secret is created with tags', () => {
    const create = json('secretsmanager.CreateSecret', {
      Name: 'p/instances/1',
      Tags: [{ Key: 'a', Value: 'b' }],
    });
    expect(
      requestedAccess('secretsmanager', request('POST', '/', create), arnContext).map((a) => a.action),
    ).toEqual(['secretsmanager:CreateSecret', 'secretsmanager:TagResource']);
  });
});

describe('intrinsic functions and limits', () => {
  const context = {
    region: 'us-east-1',
    accountId: '000000000000',
    partition: 'aws',
    stackName: 'S',
    physical: (id: string) => (id === 'Q' ? { ref: 'http://q', attributes: { Arn: 'arn:q' } } : undefined),
  };
  it('resolves Ref, GetAtt, Join and Sub', () => {
    expect(
      resolveValue(
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':', { 'Fn::GetAtt': ['Q', 'Arn'] }]] },
        context,
      ),
    ).toBe('arn:aws:arn:q');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Fn::Sub's own placeholder syntax
    const sub = '${AWS::Region}/${Q.Arn}/${Q}';
    expect(resolveValue({ 'Fn::Sub': sub }, context)).toBe('us-east-1/arn:q/http://q');
  });
  it('measures a function resource policy from its permissions', () => {
    const permission = (source: string) => ({
      Type: 'AWS::Lambda::Permission',
      Properties: {
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': ['Fn', 'Arn'] },
        Principal: 'apigateway.amazonaws.com',
        SourceArn: source,
      },
    });
    const sizes = resourcePolicySizes(
      { Resources: { P1: permission('arn:a/*'), P2: permission('arn:b/*') } },
      'Stack',
    );
    expect(sizes).toEqual([{ functionLogicalId: 'Fn', permissions: 2, bytes: expect.any(Number) }]);
    expect(sizes[0]?.bytes).toBeGreaterThan(400);
  });
});

describe('Lambda invoke limits', () => {
  const node = lambdaNode(join(REPO_ROOT, 'node_modules'));
  const reportLines: string[] = [];
  const reports: InvocationReport[] = [];
  const invoker = createInvoker({
    nodePath: node.path,
    maxEnvironments: 1,
    onLog: (_name, line) => {
      if (line.startsWith('REPORT ')) reportLines.push(line);
    },
    onReport: (report) => reports.push(report),
  });
  let spec: FunctionSpec;
  let broken: FunctionSpec;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    const temp = await makeTempDir('invoker');
    cleanup = temp.cleanup;
    mkdirSync(join(temp.dir, 'task'));
    writeFileSync(
      join(temp.dir, 'task', 'index.mjs'),
      `export const handler = async (event, context) => {
        if (event.big) return 'x'.repeat(7 * 1024 * 1024);
        if (event.sleep) await new Promise((r) => setTimeout(r, event.sleep));
        if (event.fail) throw new TypeError('broken');
        if (event.exit) process.exit(3);
        if (event.allocate) globalThis.kept = Buffer.alloc(event.allocate * 1024 * 1024, 1);
        return { env: Object.keys(process.env).sort(), remaining: context.getRemainingTimeInMillis() };
      };`,
    );
    spec = {
      logicalId: 'Fn',
      name: 'fn',
      arn: 'arn:aws:lambda:us-east-1:000000000000:function:fn',
      handler: 'index.handler',
      taskRoot: join(temp.dir, 'task'),
      environment: { _HANDLER: 'index.handler', LAMBDA_TASK_ROOT: join(temp.dir, 'task'), ONLY: '1' },
      timeoutSeconds: 1,
      memoryMb: 128,
    };
    mkdirSync(join(temp.dir, 'broken'));
    writeFileSync(join(temp.dir, 'broken', 'index.mjs'), `throw new RangeError('no configuration');\n`);
    broken = {
      ...spec,
      name: 'broken',
      taskRoot: join(temp.dir, 'broken'),
      environment: { _HANDLER: 'index.handler', LAMBDA_TASK_ROOT: join(temp.dir, 'broken') },
    };
  });
  afterAll(async () => {
    await invoker.close();
    await cleanup?.();
  });
  const ok = (result: InvokeResult) =>
    result.ok ? (JSON.parse(result.payload) as { env: string[]; remaining: number }) : undefined;

  it('gives the function exactly its environment and a deadline', async () => {
    const answer = ok(await invoker.invoke(spec, {}));
    expect(answer?.env).toContain('ONLY');
    expect(answer?.env).not.toContain('VITEST');
    expect(answer?.remaining).toBeGreaterThan(0);
    expect(answer?.remaining).toBeLessThanOrEqual(1000);
  });
  it('refuses a response over 6 MB, times out, reports errors, and starts a fresh environment after a kill', async () => {
    expect(await invoker.invoke(spec, { big: true })).toMatchObject({
      ok: false,
      errorType: 'Function.ResponseSizeTooLarge',
    });
    expect(await invoker.invoke(spec, { fail: true })).toMatchObject({
      ok: false,
      errorType: 'TypeError',
      errorMessage: 'broken',
    });
    expect(await invoker.invoke(spec, { sleep: 3000 })).toMatchObject({
      ok: false,
      errorType: 'Sandbox.Timedout',
      errorMessage: 'Task timed out after 1.00 seconds',
    });
    expect(await invoker.invoke(spec, {})).toMatchObject({ ok: true });
  });
  it("prints Lambda's REPORT line after each invocation, Init Duration only on an environment's first", async () => {
    await invoker.recycle();
    reportLines.length = 0;
    reports.length = 0;
    await invoker.invoke(spec, {});
    await invoker.invoke(spec, {});
    const [cold, warm] = reportLines;
    const fields =
      /^REPORT RequestId: ([0-9a-f-]{36})\tDuration: (\d+\.\d\d) ms\tBilled Duration: (\d+) ms\tMemory Size: 128 MB\tMax Memory Used: (\d+) MB(?:\tInit Duration: (\d+\.\d\d) ms)?$/;
    const [, coldId, coldDuration, coldBilled, coldMemory, coldInit] = fields.exec(cold ?? '') ?? [];
    const [, warmId, warmDuration, warmBilled, warmMemory, warmInit] = fields.exec(warm ?? '') ?? [];
    expect(Number(coldInit)).toBeGreaterThan(0);
    expect(warmInit).toBeUndefined();
    expect(warmDuration).toBeDefined();
    // Billed: the duration (plus the init of a cold start, as Lambda bills it) rounded up to the millisecond.
    expect(Number(warmBilled)).toBe(Math.ceil(Number(warmDuration)));
    expect(Number(coldBilled)).toBe(
      Math.ceil((Math.round(Number(coldDuration) * 100) + Math.round(Number(coldInit) * 100)) / 100),
    );
    expect(Number(coldMemory)).toBeGreaterThan(10);
    expect(Number(warmMemory)).toBeGreaterThanOrEqual(Number(coldMemory));
    expect(coldId).not.toBe(warmId);
    expect(reports).toEqual([
      expect.objectContaining({
        functionName: 'fn',
        requestId: coldId,
        durationMs: Number(coldDuration),
        initDurationMs: Number(coldInit),
        maxMemoryUsedMb: Number(coldMemory),
        ok: true,
      }),
      expect.objectContaining({ requestId: warmId, durationMs: Number(warmDuration), ok: true }),
    ]);
    expect(reports[1]).not.toHaveProperty('initDurationMs');
  });
  it("reports the environment's own peak memory, which grows with what the function holds", async () => {
    // The process that starts environments peaks above 200 MB first: Linux carries a parent's rusage
    // peak across fork and exec, so that figure would be the parent's, not the environment's.
    let parentPeak: Buffer | undefined = Buffer.alloc(200 * 1024 * 1024, 1);
    expect(parentPeak.length).toBe(200 * 1024 * 1024);
    parentPeak = undefined;
    await invoker.recycle();
    reports.length = 0;
    await invoker.invoke(spec, {});
    await invoker.invoke(spec, { allocate: 64 });
    const [before, after] = reports.map((report) => report.maxMemoryUsedMb);
    // A fresh Node process, not the peak of the process that started it (the test runner's).
    expect(before).toBeLessThan(100);
    expect(after).toBeGreaterThanOrEqual((before ?? 0) + 60);
  });

  it('reports timed-out, crashed and failed invocations with their status, then a cold start', async () => {
    reportLines.length = 0;
    reports.length = 0;
    await invoker.invoke(spec, { sleep: 3000 });
    await invoker.invoke(spec, { exit: true });
    await invoker.invoke(spec, { fail: true });
    expect(reportLines[0]).toMatch(
      /^REPORT RequestId: \S+\tDuration: 1000\.00 ms\tBilled Duration: 1000 ms\tMemory Size: 128 MB\tMax Memory Used: \d+ MB\tStatus: timeout$/,
    );
    // The timeout ended the environment: the next invocation initializes a new one.
    expect(reportLines[1]).toMatch(
      /\tInit Duration: \d+\.\d\d ms\tStatus: error\tError Type: Runtime\.ExitError$/,
    );
    // A handler's error is its answer: Lambda's line has no Status for it.
    expect(reportLines[2]).toMatch(/\tInit Duration: \d+\.\d\d ms$/);
    expect(reports).toMatchObject([
      { ok: false, status: 'timeout', errorType: 'Sandbox.Timedout', durationMs: 1000 },
      { ok: false, status: 'error', errorType: 'Runtime.ExitError' },
      { ok: false, errorType: 'TypeError' },
    ]);
    expect(reports[2]).not.toHaveProperty('status');
  });
  it('reports a failed init as Lambda does', async () => {
    const lines: string[] = [];
    const failed: InvocationReport[] = [];
    const own = createInvoker({
      nodePath: node.path,
      onLog: (_name, line) => lines.push(line),
      onReport: (report) => failed.push(report),
    });
    try {
      expect(await own.invoke(broken, {})).toMatchObject({ ok: false, errorType: 'RangeError' });
    } finally {
      await own.close();
    }
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^INIT_REPORT Init Duration: \d+\.\d\d ms\tPhase: init\tStatus: error\tError Type: RangeError$/,
      ),
    );
    expect(failed).toEqual([
      expect.objectContaining({
        functionName: 'broken',
        ok: false,
        status: 'error',
        errorType: 'RangeError',
        initDurationMs: expect.any(Number),
      }),
    ]);
  });
});

describe('the HTTP API front door', () => {
  const calls: string[] = [];
  const accessLog: string[] = [];
  let origin = '';
  let close: () => Promise<void>;
  const result = (payload: unknown): InvokeResult => ({
    ok: true,
    payload: JSON.stringify(payload),
    durationMs: 1,
  });
  beforeAll(async () => {
    const authorizer = {
      id: 'A',
      name: 'auth',
      functionName: 'authorizer',
      identitySource: ['$request.header.Authorization'],
      resultTtlSeconds: 30,
      simpleResponses: true,
      payloadFormatVersion: '2.0',
    };
    const door = await startFrontDoor({
      port: 0,
      host: '127.0.0.1',
      apiId: 'api',
      region: 'us-east-1',
      accountId: '000000000000',
      routes: [
        {
          routeKey: 'GET /things/{id}',
          method: 'GET',
          path: '/things/{id}',
          functionName: 'fn',
          integrationTimeoutMs: 300,
          authorizer,
        },
        {
          routeKey: 'GET /slow',
          method: 'GET',
          path: '/slow',
          functionName: 'slow',
          integrationTimeoutMs: 200,
        },
        {
          routeKey: 'GET /huge',
          method: 'GET',
          path: '/huge',
          functionName: 'huge',
          integrationTimeoutMs: 200,
        },
      ],
      cors: {
        AllowOrigins: ['https://app.example'],
        AllowMethods: ['GET'],
        AllowHeaders: ['authorization'],
        MaxAge: 600,
      },
      accessLogFormat:
        '{"status":"$context.status","routeKey":"$context.routeKey","authorizerError":"$context.authorizer.error"}',
      onAccessLog: (line) => accessLog.push(line),
      invoke: async (functionName, event) => {
        calls.push(functionName);
        const typed = event as {
          headers?: Record<string, string>;
          requestContext?: { authorizer?: { lambda?: unknown } };
        };
        if (functionName === 'authorizer')
          return result({ isAuthorized: typed.headers?.authorization === 'yes', context: { who: 'me' } });
        if (functionName === 'slow')
          return new Promise<InvokeResult>((resolve) => setTimeout(() => resolve(result({})), 1000));
        if (functionName === 'huge')
          return {
            ok: false,
            errorType: 'Function.ResponseSizeTooLarge',
            errorMessage: 'too big',
            durationMs: 1,
          };
        return result({ statusCode: 200, body: JSON.stringify(typed.requestContext?.authorizer) });
      },
    });
    origin = door.origin;
    close = door.close;
  });
  afterAll(async () => {
    await close?.();
  });

  it('runs the authorizer once per identity within its TTL and passes its context on', async () => {
    const first = await fetch(`${origin}/things/1`, { headers: { Authorization: 'yes' } });
    expect(await first.json()).toEqual({ lambda: { who: 'me' } });
    await fetch(`${origin}/things/2`, { headers: { Authorization: 'yes' } });
    expect(calls.filter((name) => name === 'authorizer')).toHaveLength(1);
    const refused = await fetch(`${origin}/things/1`, { headers: { Authorization: 'no' } });
    expect([refused.status, await refused.text()]).toEqual([403, '{"message":"Forbidden"}']);
  });
  it('answers 503 after the integration timeout and 500 for a response Lambda refused', async () => {
    const slow = await fetch(`${origin}/slow`);
    expect([slow.status, await slow.text()]).toEqual([503, '{"message":"Service Unavailable"}']);
    const huge = await fetch(`${origin}/huge`);
    expect([huge.status, await huge.text()]).toEqual([500, '{"message":"Internal Server Error"}']);
  });
  it('answers CORS preflight itself and logs each request in the stage format', async () => {
    const preflight = await fetch(`${origin}/things/1`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'GET' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(preflight.headers.get('access-control-max-age')).toBe('600');
    const other = await fetch(`${origin}/things/1`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'GET' },
    });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    expect(accessLog).toContainEqual('{"status":"403","routeKey":"GET /things/{id}","authorizerError":"-"}');
  });
});
