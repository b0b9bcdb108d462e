import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_ENTRY_FILE, bundleFunction, eagerBuiltins, eagerOutputs } from '../../infra/bundling';
import { REPO_ROOT } from '../../infra/paths';
import { authorizerEvent } from '../auth/fixtures';

const run = promisify(execFile);

/**
 * Built-ins only some requests need (outbound calls, hashing, streamed responses): never loaded by
 * import() of these entries.
 */
const DEFERRED_BUILTINS = [
  'node:crypto',
  'node:http',
  'node:https',
  'node:dns',
  'node:net',
  'node:tls',
  'node:stream',
  'node:stream/promises',
  'node:stream/web',
];

let outdir: string;
const built: Record<string, Metafile> = {};

beforeAll(async () => {
  // Inside the repository (gitignored), like every build output here.
  outdir = await mkdtemp(join(REPO_ROOT, '.tmp-bundling-'));
  for (const [name, entry] of [
    ['authorizer', 'functions/authorizer/handler.ts'],
    ['ping', 'functions/api/ping.ts'],
    ['hub', 'functions/hub/handler.ts'],
  ] as const) {
    built[name] = await bundleFunction(join(REPO_ROOT, entry), join(outdir, name), { sourcemap: false });
  }
}, 120_000);

afterAll(() => rm(outdir, { recursive: true, force: true }));

/** Runs the authorizer bundle once in a plain Node process, as the Lambda runtime loads it. */
const authorizeWithBundle = async (env: Record<string, string>) => {
  const file = pathToFileURL(join(outdir, 'authorizer', BUNDLE_ENTRY_FILE)).href;
  const event = authorizerEvent({ authorization: 'User user-secret-1, Organization org-secret-1' });
  const script = `
    const { handler } = await import(${JSON.stringify(file)});
    const context = { functionName: 'authorizer', awsRequestId: 'req-1', memoryLimitInMB: '256',
      getRemainingTimeInMillis: () => 5000, callbackWaitsForEmptyEventLoop: true };
    const result = await handler(${JSON.stringify(event)}, context);
    process.stdout.write('\\nRESULT ' + JSON.stringify(result) + '\\n');`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    env: {
      PATH: process.env.PATH,
      ELEMENT_ORGANIZATION_SECRET: 'org-secret-1',
      ELEMENT_USER_SECRET: 'user-secret-1',
      ...env,
    },
  });
  const line = stdout.split('\n').find((candidate) => candidate.startsWith('RESULT '));
  return { result: JSON.parse(line?.slice('RESULT '.length) ?? 'null'), stdout };
};

/** The source files a bundle holds code of (a module tree-shaken to nothing is listed with 0 bytes). */
const bundledInputs = (metafile: Metafile): string[] =>
  Object.values(metafile.outputs).flatMap((output) =>
    Object.entries(output.inputs)
      .filter(([, input]) => input.bytesInOutput > 0)
      .map(([file]) => file),
  );

describe('function bundles (infra/bundling.ts)', () => {
  it('loads neither node:crypto, the outbound-call built-ins nor the streams when the authorizer or ping is imported', () => {
    for (const [name, metafile] of Object.entries(built).filter(([name]) => name !== 'hub')) {
      const builtins = eagerBuiltins(metafile);
      expect(builtins.length, name).toBeGreaterThan(0);
      for (const builtin of DEFERRED_BUILTINS) expect(builtins, `${name}: ${builtin}`).not.toContain(builtin);
    }
  });

  it("keeps the authorizer's ports, environment schema and zod out of what its import() evaluates", async () => {
    const metafile = built.authorizer as Metafile;
    const eagerInputs = eagerOutputs(metafile).flatMap((file) =>
      Object.keys(metafile.outputs[file]?.inputs ?? {}),
    );
    expect(eagerInputs.some((input) => input.includes('shared/auth/'))).toBe(true);
    for (const deferred of [
      'functions/runtime/dependencies.ts',
      'shared/config/env.ts',
      'node_modules/zod/',
    ]) {
      expect(
        eagerInputs.filter((input) => input.includes(deferred)),
        deferred,
      ).toEqual([]);
    }
  });

  it('leaves out the modules a function reaches only through barrels it uses part of (package.json sideEffects)', () => {
    const metafile = built.hub as Metafile;
    const inputs = bundledInputs(metafile);
    expect(inputs).toContain('shared/instances/instance-client.ts');
    // Instance creation, its request bodies and the events configuration are the instances API's;
    // local mode's own variables (LOCAL_ENV) are never read in Lambda.
    for (const unused of [
      'shared/config/local-config.ts',
      'shared/instances/instance-service.ts',
      'shared/instances/request-body.ts',
      'shared/events/configuration.ts',
    ]) {
      expect(inputs, unused).not.toContain(unused);
    }
  });

  it('holds only the AWS SDK operations its adapters send: no chunk is a whole SDK package', () => {
    const metafile = built.hub as Metafile;
    const entryPoints = Object.values(metafile.outputs).flatMap((output) => output.entryPoint ?? []);
    // The SDK's own lazy credential providers are packages too; our clients and libraries never are.
    expect(
      entryPoints.filter((entry) => /@aws-sdk\/(client|lib)-[^/]+\/dist-es\/index\.js$/.test(entry)),
    ).toEqual([]);
    const inputs = bundledInputs(metafile);
    const dynamoCommands = inputs.filter((file) => file.includes('client-dynamodb/dist-es/commands/'));
    expect(dynamoCommands.some((file) => file.endsWith('/GetItemCommand.js'))).toBe(true);
    for (const unused of [
      'CreateTableCommand.js',
      'DescribeTableCommand.js',
      'TransactWriteItemsCommand.js',
    ]) {
      expect(
        dynamoCommands.some((file) => file.endsWith(`/${unused}`)),
        unused,
      ).toBe(false);
    }
    expect(inputs.some((file) => file.includes('client-dynamodb/dist-es/waiters/'))).toBe(false);
  });

  it("keeps zod's English messages, the one side effect of shared/validation/zod.ts", async () => {
    const dir = join(outdir, 'messages');
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'entry.ts'),
      [
        `import * as z from ${JSON.stringify(join(REPO_ROOT, 'shared/validation/zod.ts'))};`,
        'const result = z.safeParse(z.string().check(z.maxLength(2)), "abc");',
        'export const message = result.success ? "" : result.error.issues[0]?.message;',
      ].join('\n'),
    );
    await bundleFunction(join(dir, 'entry.ts'), join(dir, 'out'), { sourcemap: false });
    const file = pathToFileURL(join(dir, 'out', BUNDLE_ENTRY_FILE)).href;
    const { stdout } = await run(process.execPath, [
      '--input-type=module',
      '-e',
      `process.stdout.write((await import(${JSON.stringify(file)})).message);`,
    ]);
    expect(stdout).toBe('Too big: expected string to have <=2 characters');
  });

  it('decides a platform call with the deferred Logger import, and samples debug logs when asked to', async () => {
    const quiet = await authorizeWithBundle({ LOG_LEVEL: 'ERROR' });
    expect(quiet.result).toMatchObject({
      isAuthorized: true,
      context: { outcome: 'allow', kind: 'platform' },
    });
    expect(quiet.stdout).not.toContain('authorization decided');
    // A sample rate of 1 makes the Logger call node:crypto's randomInt, loaded on that first use.
    const sampled = await authorizeWithBundle({ LOG_LEVEL: 'ERROR', POWERTOOLS_LOGGER_SAMPLE_RATE: '1' });
    expect(sampled.result).toMatchObject({ isAuthorized: true, context: { outcome: 'allow' } });
    expect(sampled.stdout).toContain('authorization decided');
  });

  it('writes logs and EMF metrics from a bundled handler', async () => {
    const entry = join(outdir, 'writer', 'entry.ts');
    await mkdir(join(outdir, 'writer'), { recursive: true });
    await writeFile(
      entry,
      [
        `import { withMetrics } from ${JSON.stringify(join(REPO_ROOT, 'functions/runtime/metrics.ts'))};`,
        `import { createLogger } from ${JSON.stringify(join(REPO_ROOT, 'shared/logging/index.ts'))};`,
        `import { METRICS, recordMetric } from ${JSON.stringify(join(REPO_ROOT, 'shared/metrics/index.ts'))};`,
        'const logger = createLogger();',
        "export const handler = withMetrics(async () => { logger.info('bundle wrote', { row: 1 }); recordMetric(METRICS.eventsDelivered, 1); return 'done'; });",
      ].join('\n'),
    );
    await bundleFunction(entry, join(outdir, 'writer', 'out'), { sourcemap: false });
    const file = pathToFileURL(join(outdir, 'writer', 'out', BUNDLE_ENTRY_FILE)).href;
    const script = `
      const { handler } = await import(${JSON.stringify(file)});
      const context = { functionName: 'writer', awsRequestId: 'req-1', memoryLimitInMB: '256',
        getRemainingTimeInMillis: () => 5000, callbackWaitsForEmptyEventLoop: true };
      process.stdout.write('RESULT ' + (await handler({}, context)) + '\\n');`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH, ELEMENT_MODE: 'aws', POWERTOOLS_METRICS_NAMESPACE: 'bundle-test' },
    });
    const lines = stdout.trim().split('\n');
    expect(lines.at(-1)).toBe('RESULT done');
    const records = lines.slice(0, -1).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.find((record) => record.message === 'bundle wrote')).toMatchObject({ row: 1 });
    const emf = records.find((record) => '_aws' in record);
    expect(emf).toMatchObject({ EventsDelivered: 1 });
  });

  it("streams a response through middy's deferred stream imports", async () => {
    const dir = join(outdir, 'streamed');
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'entry.ts'),
      [
        "import middy from '@middy/core';",
        'export const text = middy(async () => "streamed text", { streamifyResponse: true });',
        'export const web = middy(async () => ({ statusCode: 200, body: new ReadableStream({ start(c) { c.enqueue("web "); c.enqueue("stream"); c.close(); } }) }), { streamifyResponse: true });',
      ].join('\n'),
    );
    const metafile = await bundleFunction(join(dir, 'entry.ts'), join(dir, 'out'), { sourcemap: false });
    expect(eagerBuiltins(metafile)).not.toContain('node:stream/web');
    const file = pathToFileURL(join(dir, 'out', BUNDLE_ENTRY_FILE)).href;
    // The Lambda runtime's global: streamifyResponse marks the handler, HttpResponseStream wraps the stream.
    const script = `
      globalThis.awslambda = { streamifyResponse: (fn) => fn, HttpResponseStream: { from: (stream) => stream } };
      const { text, web } = await import(${JSON.stringify(file)});
      const { Writable } = await import('node:stream');
      const collect = async (handler) => {
        let body = '';
        const sink = new Writable({ write(chunk, _encoding, done) { body += chunk; done(); } });
        await handler({}, sink, {});
        return body;
      };
      process.stdout.write(JSON.stringify([await collect(text), await collect(web)]));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script]);
    expect(JSON.parse(stdout)).toEqual(['streamed text', 'web stream']);
  });

  it("makes outbound and AWS SDK calls over http without loading Node's bundled undici", async () => {
    const dir = join(outdir, 'http-calls');
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'entry.ts'),
      [
        `import { createOutboundAgent } from ${JSON.stringify(join(REPO_ROOT, 'shared/net/outbound-agent.ts'))};`,
        `import { parseAllowedHosts } from ${JSON.stringify(join(REPO_ROOT, 'shared/net/allowed-hosts.ts'))};`,
        "import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';",
        'export const calls = async (url: string) => {',
        "  const agent = createOutboundAgent({ allowedHosts: parseAllowedHosts('127.0.0.1') });",
        "  const answer = await agent.request({ method: 'GET', url: new URL(url), headers: {}, timeoutMs: 5000 });",
        '  await agent.close();',
        "  const client = new DynamoDBClient({ endpoint: url, region: 'us-east-1', maxAttempts: 1,",
        "    credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });",
        '  const sdk = await client.send(new ListTablesCommand({})).then(() => "answered", (error: Error) => error.name);',
        '  return { status: answer.status, sdk };',
        '};',
      ].join('\n'),
    );
    await bundleFunction(join(dir, 'entry.ts'), join(dir, 'out'), { sourcemap: false });
    const file = pathToFileURL(join(dir, 'out', BUNDLE_ENTRY_FILE)).href;
    const script = `
      const { createServer } = process.getBuiltinModule('node:http');
      const server = createServer((_request, response) => response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end('{"TableNames":[]}'));
      await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { calls } = await import(${JSON.stringify(file)});
      const result = await calls('http://127.0.0.1:' + server.address().port + '/');
      server.close();
      const undici = process.moduleLoadList.filter((name) => name.includes('undici'));
      process.stdout.write(JSON.stringify({ ...result, undici }));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script]);
    expect(JSON.parse(stdout)).toEqual({ status: 200, sdk: 'answered', undici: [] });
  });

  it('fails the build when a dependency no longer contains the import it defers', async () => {
    const fakePackage = join(
      outdir,
      'fake',
      'node_modules',
      '@aws-lambda-powertools',
      'logger',
      'lib',
      'esm',
    );
    await mkdir(fakePackage, { recursive: true });
    await writeFile(
      join(fakePackage, 'Logger.js'),
      "import { randomUUID } from 'node:crypto';\nexport const id = randomUUID;\n",
    );
    const entry = join(outdir, 'fake', 'entry.ts');
    await writeFile(entry, `export { id } from ${JSON.stringify(join(fakePackage, 'Logger.js'))};\n`);
    await expect(bundleFunction(entry, join(outdir, 'fake', 'out'))).rejects.toThrow(
      /DEFERRED_BUILTIN_IMPORTS/,
    );
    expect(await readFile(join(fakePackage, 'Logger.js'), 'utf8')).toContain('randomUUID');
  });
});
