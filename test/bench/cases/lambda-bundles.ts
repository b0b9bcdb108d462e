/**
 * Each Lambda bundle's minified size and cold import() time, against an empty handler bundled the same
 * way (the baseline: what Node's module loader costs with no code of ours). Every function of the stack:
 * the API functions (target: at most 4x the baseline), the authorizer (at most 2x) and the background
 * functions.
 *
 * What import() covers: the entry module and the chunks it imports statically, i.e. everything the
 * handler needs before it can take its first event, with the Node built-ins they load. It does not cover
 * what a function loads on first use through dynamic imports: the SDK client and adapter of each port
 * (the authorizer's DynamoDB client on its first Element call, its Secrets Manager client on its first
 * call in AWS), node:http/https/dns/net on the first outbound call, JSONata where a transformation runs.
 * Those chunks are counted in "all modules bytes", and "cold import() of every module" imports the entry
 * and then every chunk of the asset: an upper bound on what a container has evaluated once its first
 * requests have used every path (it includes the local-mode adapters and SDK credential providers a
 * Lambda never loads).
 * The baseline is imported in turn with each function's entry, so each ratio compares imports made under
 * the same load (the machine is shared). BENCH_NODE picks the Node binary (test/bench/measure.ts); the
 * Lambda functions run Node 24.
 */
import { execFile } from 'node:child_process';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { AUTHORIZER_FUNCTION, BACKGROUND_FUNCTIONS, LAMBDA_FUNCTIONS } from '../../../functions/routes';
import { modulesOfAsset } from '../../../functions/stack-runner/required-environment';
import { BUNDLE_ENTRY_FILE, bundleFunction, eagerBuiltins, eagerOutputs } from '../../../infra/bundling';
import { benchNodePath, coldImportMs, median } from '../measure';
import type { BenchCase, BenchResult } from '../types';

const root = resolve(import.meta.dirname, '../../..');
const outDir = join(root, '.tmp', 'bench', 'bundles');
const RUNS = 9;
const execFileAsync = promisify(execFile);

// The deployed build (infra/bundling.ts) without source maps; target node20 so it also loads on Node 20.
async function bundle(entry: string, name: string) {
  const dir = join(outDir, name);
  await rm(dir, { recursive: true, force: true });
  const metafile = await bundleFunction(entry, dir, { target: 'node20', sourcemap: false });
  // The metafile names outputs relative to the working directory.
  return {
    dir,
    eager: eagerOutputs(metafile).map((file) => resolve(file)),
    builtins: eagerBuiltins(metafile),
  };
}

const bytesOf = async (files: readonly string[]) =>
  (await Promise.all(files.map((file) => stat(file)))).reduce((sum, s) => sum + s.size, 0);

const TARGETS: Record<string, string> = {
  ...Object.fromEntries(Object.keys(LAMBDA_FUNCTIONS).map((name) => [name, '<= 4'])),
  authorizer: '<= 2',
};

export const benchCase: BenchCase = {
  name: 'lambda bundles: size and cold import',
  async run() {
    await mkdir(outDir, { recursive: true });
    const emptyEntry = join(outDir, 'empty-entry.ts');
    await writeFile(emptyEntry, 'export const handler = async () => ({ statusCode: 200 });\n');
    const emptyFile = join((await bundle(emptyEntry, 'empty')).dir, BUNDLE_ENTRY_FILE);

    const node = (await execFileAsync(benchNodePath(), ['--version'])).stdout.trim();
    const functions = { ...LAMBDA_FUNCTIONS, authorizer: AUTHORIZER_FUNCTION, ...BACKGROUND_FUNCTIONS };
    const results: BenchResult[] = [];
    for (const [name, definition] of Object.entries(functions)) {
      const { dir, eager, builtins } = await bundle(join(root, definition.entry), name);
      const file = join(dir, BUNDLE_ENTRY_FILE);
      const modules = modulesOfAsset(dir);
      const baselineTimes: number[] = [];
      const importTimes: number[] = [];
      for (let run = 0; run < RUNS; run += 1) {
        baselineTimes.push(...(await coldImportMs(emptyFile, 1)));
        importTimes.push(...(await coldImportMs(file, 1)));
      }
      const baselineMs = median(baselineTimes);
      const importMs = median(importTimes);
      const everyModuleMs = median(await coldImportMs([file, ...modules.filter((m) => m !== file)], RUNS));
      const target = TARGETS[name];
      results.push({
        figures: {
          function: name,
          node,
          'entry module bytes': (await stat(file)).size,
          'bytes import() evaluates (entry + its static chunks)': await bytesOf(eager),
          'built-ins import() loads': builtins.join(' '),
          'all modules bytes (entry + chunks)': await bytesOf(modules),
          modules: modules.length,
          'empty handler bytes': (await stat(emptyFile)).size,
          'cold import() median ms': importMs,
          'cold import() of every module, median ms': everyModuleMs,
          runs: RUNS,
        },
        subject: { label: `${name} cold import()`, value: importMs, unit: 'ms' },
        baseline: { label: 'empty handler cold import()', value: baselineMs, unit: 'ms' },
        direction: 'lower-is-better',
        ...(target === undefined ? {} : { target }),
      });
    }
    return results;
  },
};
