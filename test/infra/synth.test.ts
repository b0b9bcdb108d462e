import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_BASE_PATH } from '../../functions/routes';
import { ESM_REQUIRE_BANNER } from '../../infra/bundling';
import { REPO_ROOT } from '../../infra/paths';
import { removeOutdir, testOutdir } from './synthesize';

const run = promisify(execFile);

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
const invokeBundle = async (bundleFile: string, event: unknown) => {
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
      env: { PATH: process.env.PATH, ELEMENT_MODE: 'aws', ELEMENT_ALLOWED_HOSTS: '', LOG_LEVEL: 'ERROR' },
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
    // The runtime provides SDK v3: a bundled client would bring its protocol code along.
    expect(code).not.toContain('@smithy/');
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
