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

/** Built-ins only some requests need (outbound calls, hashing): never loaded by import() of these entries. */
const DEFERRED_BUILTINS = ['node:crypto', 'node:http', 'node:https', 'node:dns', 'node:net', 'node:tls'];

let outdir: string;
const built: Record<string, Metafile> = {};

beforeAll(async () => {
  // Inside the repository (gitignored), like every build output here.
  outdir = await mkdtemp(join(REPO_ROOT, '.tmp-bundling-'));
  for (const [name, entry] of [
    ['authorizer', 'functions/authorizer/handler.ts'],
    ['ping', 'functions/api/ping.ts'],
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

describe('function bundles (infra/bundling.ts)', () => {
  it('loads neither node:crypto nor the outbound-call built-ins when the authorizer or ping is imported', () => {
    for (const [name, metafile] of Object.entries(built)) {
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
