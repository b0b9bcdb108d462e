import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_BASE_PATH } from '../../functions/routes';
import { modulesOfAsset } from '../../functions/stack-runner/required-environment';
import { ESM_REQUIRE_BANNER } from '../../infra/bundling';
import { REPO_ROOT } from '../../infra/paths';
import { createStateTable, startDynalite } from '../adapters/emulators';
import { removeOutdir, testOutdir } from './synthesize';

const run = promisify(execFile);

/**
 * An import of an `@aws-sdk/*` package esbuild left external, as minified ESM spells it (static, dynamic,
 * or through the banner's require). The SDK's own error messages quote `[require("@aws-sdk/...")]`.
 */
const EXTERNAL_SDK_IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|(?<!\[)\brequire\s*\(\s*)["']@aws-sdk\/[^"']*["']/;

/** Strings only the S3 client, lib-storage and the SQS client carry (client names, service targets). */
const S3_AND_SQS_MARKERS = ['S3Client', 'AmazonS3', 'lib-storage', 'SQSClient', 'AmazonSQS'];

interface CfnTemplate {
  Resources: Record<
    string,
    { Type: string; Properties: Record<string, unknown> & { Code?: { S3Key?: string } } }
  >;
}

const outdir = testOutdir('cli');
let template: CfnTemplate;

/**
 * One real `cdk synth` through the CLI and cdk.json, the way `npm run synth` and CI run it: offline, no
 * Docker, esbuild bundling for real, cdk-nag as a validation plugin (a finding would make it exit 1).
 */
beforeAll(async () => {
  await run(join(REPO_ROOT, 'node_modules/.bin/cdk'), ['synth', '--quiet', '--output', outdir], {
    cwd: REPO_ROOT,
    env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1' },
  });
  template = JSON.parse(readFileSync(join(outdir, 'SnowElementStack.template.json'), 'utf8')) as CfnTemplate;
}, 120_000);

afterAll(() => removeOutdir(outdir));

/** The bundle directory of the function serving `routeKey`, found through the template's asset hash. */
const bundleOfFunction = (logicalIdPrefix: string): string => {
  const [fn] = Object.entries(template.Resources).filter(
    ([id, resource]) => resource.Type === 'AWS::Lambda::Function' && id.startsWith(logicalIdPrefix),
  );
  const s3Key = fn?.[1].Properties.Code?.S3Key;
  expect(s3Key, `asset of ${logicalIdPrefix}`).toMatch(/^[0-9a-f]{64}\.zip$/);
  return join(outdir, `asset.${s3Key?.replace(/\.zip$/, '')}`);
};

/** The code of every module of an asset: `index.mjs` and the chunks its dynamic imports load. */
const codeOfAsset = (bundle: string): string =>
  modulesOfAsset(bundle)
    .map((file) => readFileSync(file, 'utf8'))
    .join('\n');

const apiGatewayEvent = (path: string) => ({
  version: '2.0',
  routeKey: `GET ${path}`,
  rawPath: path,
  rawQueryString: '',
  headers: { accept: 'application/json', host: 'abc123.execute-api.eu-west-1.amazonaws.com' },
  requestContext: {
    accountId: '123456789012',
    apiId: 'abc123',
    domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
    domainPrefix: 'abc123',
    http: { method: 'GET', path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'vitest' },
    requestId: 'Ab1Cd2Ef3Gh4=',
    routeKey: `GET ${path}`,
    stage: '$default',
    time: '24/Nov/2026:22:00:00 +0000',
    timeEpoch: 1795989600000,
  },
  isBase64Encoded: false,
});

/** Loads the bundle in a plain Node process, as the Lambda runtime does (ESM loader, no vitest transform). */
const invokeBundle = async (bundleFile: string, event: unknown, env: Record<string, string> = {}) => {
  const script = `
    const { handler } = await import(${JSON.stringify(pathToFileURL(bundleFile).href)});
    const context = { functionName: 'ping', awsRequestId: 'req-1', memoryLimitInMB: '256',
      getRemainingTimeInMillis: () => 5000, callbackWaitsForEmptyEventLoop: true };
    const result = await handler(${JSON.stringify(event)}, context);
    process.stdout.write('\\nRESULT ' + JSON.stringify(result) + '\\n');`;
  const { stdout } = await run(
    process.execPath,
    ['--enable-source-maps', '--input-type=module', '-e', script],
    {
      cwd: outdir,
      env: {
        PATH: process.env.PATH,
        ELEMENT_MODE: 'aws',
        ELEMENT_ALLOWED_HOSTS: '',
        LOG_LEVEL: 'ERROR',
        ...env,
      },
    },
  );
  const line = stdout.split('\n').find((candidate) => candidate.startsWith('RESULT '));
  return JSON.parse(line?.slice('RESULT '.length) ?? 'null');
};

describe('cdk synth (CLI, offline)', () => {
  it('writes the template and an ESM bundle with source map for the ping function', () => {
    expect(Object.values(template.Resources).some((r) => r.Type === 'AWS::ApiGatewayV2::Route')).toBe(true);
    const bundle = bundleOfFunction('ApiPingFunction');
    expect(existsSync(join(bundle, 'index.mjs.map'))).toBe(true);
    const code = readFileSync(join(bundle, 'index.mjs'), 'utf8');
    expect(code.startsWith(ESM_REQUIRE_BANNER)).toBe(true);
  });

  it('bundles the AWS SDK clients of every function (no @aws-sdk import left to the runtime)', () => {
    const functions = Object.entries(template.Resources).filter(
      ([, resource]) =>
        resource.Type === 'AWS::Lambda::Function' && resource.Properties.Runtime === 'nodejs24.x',
    );
    expect(functions.length).toBeGreaterThanOrEqual(9);
    for (const [logicalId] of functions) {
      const code = codeOfAsset(bundleOfFunction(logicalId));
      expect(code.match(EXTERNAL_SDK_IMPORT)?.[0], logicalId).toBeUndefined();
    }
  });

  it('runs the bundled DynamoDB client: the authorizer looks an element token up in the state table', async () => {
    const dynalite = await startDynalite();
    try {
      await createStateTable(dynalite.client, 'state');
      const bundle = join(bundleOfFunction('AuthorizerFunction'), 'index.mjs');
      const route = `GET ${API_BASE_PATH}/hubs/helpdesk/{objectName}`;
      const event = {
        version: '2.0',
        type: 'REQUEST',
        routeArn: `arn:aws:execute-api:eu-west-1:123456789012:abc123/$default/${route}`,
        routeKey: route,
        identitySource: ['User user-secret, Element not-a-known-token'],
        headers: { authorization: 'User user-secret, Element not-a-known-token' },
        requestContext: { requestId: 'req-1', routeKey: route },
      };
      const env = {
        ELEMENT_USER_SECRET: 'user-secret',
        ELEMENT_ORGANIZATION_SECRET: 'organization-secret',
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_ENDPOINT_URL_DYNAMODB: dynalite.endpoint,
      };
      // An unknown token is a 401 decision, reached only after a real GetItem on the emulated table.
      expect(await invokeBundle(bundle, event, { ...env, ELEMENT_STATE_TABLE: 'state' })).toMatchObject({
        isAuthorized: true,
        context: { outcome: 'deny', status: '401' },
      });
      // The same call against a table that does not exist fails: the lookup did reach DynamoDB.
      await expect(invokeBundle(bundle, event, { ...env, ELEMENT_STATE_TABLE: 'missing' })).rejects.toThrow(
        /ResourceNotFoundException|Cannot do operations on a non-existent table/,
      );
    } finally {
      await dynalite.close();
    }
  });

  it("leaves S3, lib-storage and SQS out of the authorizer's bundle, and bundles them where they are used", () => {
    const authorizer = codeOfAsset(bundleOfFunction('AuthorizerFunction'));
    for (const marker of S3_AND_SQS_MARKERS) expect(authorizer, marker).not.toContain(marker);
    // The state table's client is there: the markers would show S3 or SQS code if it were bundled.
    expect(authorizer).toContain('DynamoDBClient');
    const worker = codeOfAsset(bundleOfFunction('BulkWorkerFunction'));
    for (const marker of S3_AND_SQS_MARKERS) expect(worker, marker).toContain(marker);
  });

  it("keeps the SDK out of every function's entry module: its client loads as a chunk on first use", () => {
    for (const prefix of ['AuthorizerFunction', 'ApiHubFunction', 'BulkWorkerFunction']) {
      const bundle = bundleOfFunction(prefix);
      const entry = readFileSync(join(bundle, 'index.mjs'), 'utf8');
      // The service target only the DynamoDB client's own code carries.
      expect(entry, prefix).not.toContain('DynamoDB_20120810');
      expect(codeOfAsset(bundle), prefix).toContain('DynamoDB_20120810');
    }
  });

  it('produces a bundle that answers GET /ping when loaded like the Lambda runtime loads it', async () => {
    const bundle = bundleOfFunction('ApiPingFunction');
    const result = await invokeBundle(join(bundle, 'index.mjs'), apiGatewayEvent(`${API_BASE_PATH}/ping`));
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toMatchObject({ status: 'ok' });
    const headerNames = Object.keys(result.headers ?? {}).map((name) => name.toLowerCase());
    expect(headerNames).toContain('elements-request-id');
  });
});
