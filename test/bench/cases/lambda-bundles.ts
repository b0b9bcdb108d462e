/**
 * Each Lambda bundle's minified size and cold import() time, against an empty handler bundled the same
 * way (the baseline: what Node's module loader costs with no code of ours). Every function of the stack:
 * the API functions, the authorizer and the background functions. BENCH_NODE picks the Node binary
 * (test/bench/measure.ts); the Lambda functions run Node 24.
 */
import { execFile } from 'node:child_process';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { AUTHORIZER_FUNCTION, BACKGROUND_FUNCTIONS, LAMBDA_FUNCTIONS } from '../../../functions/routes';
import { BUNDLE_EXTERNAL_MODULES, BUNDLE_MAIN_FIELDS, ESM_REQUIRE_BANNER } from '../../../infra/bundling';
import { benchNodePath, coldImportMs, median } from '../measure';
import type { BenchCase, BenchResult } from '../types';

const root = resolve(import.meta.dirname, '../../..');
const outDir = join(root, '.tmp', 'bench', 'bundles');
const RUNS = 9;
const execFileAsync = promisify(execFile);

// Same options as the CDK NodejsFunction bundling (infra/bundling.ts); target node20 so it loads here.
async function bundle(entry: string, name: string): Promise<string> {
  const outfile = join(outDir, `${name}.mjs`);
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    mainFields: [...BUNDLE_MAIN_FIELDS],
    external: [...BUNDLE_EXTERNAL_MODULES],
    banner: { js: ESM_REQUIRE_BANNER },
    logLevel: 'silent',
  });
  return outfile;
}

export const benchCase: BenchCase = {
  name: 'lambda bundles: size and cold import',
  async run() {
    await mkdir(outDir, { recursive: true });
    const emptyEntry = join(outDir, 'empty-entry.ts');
    await writeFile(emptyEntry, 'export const handler = async () => ({ statusCode: 200 });\n');
    const emptyFile = await bundle(emptyEntry, 'empty');
    const baselineMs = median(await coldImportMs(emptyFile, RUNS));

    const node = (await execFileAsync(benchNodePath(), ['--version'])).stdout.trim();
    const functions = { ...LAMBDA_FUNCTIONS, authorizer: AUTHORIZER_FUNCTION, ...BACKGROUND_FUNCTIONS };
    const results: BenchResult[] = [];
    for (const [name, definition] of Object.entries(functions)) {
      const file = await bundle(join(root, definition.entry), name);
      const bytes = (await stat(file)).size;
      const importMs = median(await coldImportMs(file, RUNS));
      results.push({
        figures: {
          function: name,
          node,
          'minified bytes': bytes,
          'cold import() median ms': importMs,
          runs: RUNS,
        },
        subject: { label: `${name} cold import()`, value: importMs, unit: 'ms' },
        baseline: { label: 'empty handler cold import()', value: baselineMs, unit: 'ms' },
        direction: 'lower-is-better',
      });
    }
    return results;
  },
};
