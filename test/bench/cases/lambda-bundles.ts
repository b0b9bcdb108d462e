/**
 * Each Lambda bundle's minified size and cold import() time, against an empty handler bundled the same
 * way (the baseline: what Node's module loader costs with no code of ours). Every function of the stack:
 * the API functions, the authorizer and the background functions. The entry module is what import()
 * evaluates; the chunks its dynamic imports load on first use (SDK clients, adapters) are counted apart.
 * BENCH_NODE picks the Node binary (test/bench/measure.ts); the Lambda functions run Node 24.
 */
import { execFile } from 'node:child_process';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { AUTHORIZER_FUNCTION, BACKGROUND_FUNCTIONS, LAMBDA_FUNCTIONS } from '../../../functions/routes';
import { modulesOfAsset } from '../../../functions/stack-runner/required-environment';
import { BUNDLE_ENTRY_FILE, bundleFunction } from '../../../infra/bundling';
import { benchNodePath, coldImportMs, median } from '../measure';
import type { BenchCase, BenchResult } from '../types';

const root = resolve(import.meta.dirname, '../../..');
const outDir = join(root, '.tmp', 'bench', 'bundles');
const RUNS = 9;
const execFileAsync = promisify(execFile);

// The deployed build (infra/bundling.ts) without source maps; target node20 so it also loads on Node 20.
async function bundle(entry: string, name: string): Promise<string> {
  const dir = join(outDir, name);
  await rm(dir, { recursive: true, force: true });
  await bundleFunction(entry, dir, { target: 'node20', sourcemap: false });
  return dir;
}

const bytesOf = async (files: string[]) =>
  (await Promise.all(files.map((file) => stat(file)))).reduce((sum, s) => sum + s.size, 0);

export const benchCase: BenchCase = {
  name: 'lambda bundles: size and cold import',
  async run() {
    await mkdir(outDir, { recursive: true });
    const emptyEntry = join(outDir, 'empty-entry.ts');
    await writeFile(emptyEntry, 'export const handler = async () => ({ statusCode: 200 });\n');
    const emptyFile = join(await bundle(emptyEntry, 'empty'), BUNDLE_ENTRY_FILE);
    const baselineMs = median(await coldImportMs(emptyFile, RUNS));

    const node = (await execFileAsync(benchNodePath(), ['--version'])).stdout.trim();
    const functions = { ...LAMBDA_FUNCTIONS, authorizer: AUTHORIZER_FUNCTION, ...BACKGROUND_FUNCTIONS };
    const results: BenchResult[] = [];
    for (const [name, definition] of Object.entries(functions)) {
      const dir = await bundle(join(root, definition.entry), name);
      const file = join(dir, BUNDLE_ENTRY_FILE);
      const modules = modulesOfAsset(dir);
      const importMs = median(await coldImportMs(file, RUNS));
      results.push({
        figures: {
          function: name,
          node,
          'entry module bytes': (await stat(file)).size,
          'all modules bytes (entry + chunks)': await bytesOf(modules),
          modules: modules.length,
          'empty handler bytes': (await stat(emptyFile)).size,
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
