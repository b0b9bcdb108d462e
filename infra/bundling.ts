/**
 * How every Lambda function is bundled, shared by the CDK asset (infra/constructs/element-function.ts)
 * and the bundle benchmark (test/bench/cases/lambda-bundles.ts), so the benchmark measures what is
 * deployed. No aws-cdk-lib import here: the benchmark loads this file without the CDK.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { deferredBuiltinImportsPlugin } from './deferred-builtin-imports.mjs';

/**
 * esbuild writes ES modules (`index.mjs` and its chunks); CommonJS dependencies that call `require()`
 * (some of middy's and the SDK's transitive deps do) would fail with "require is not defined in ES module
 * scope". The banner gives each module a real `require`. The import is aliased so it cannot clash with a
 * `createRequire` the bundled code imports itself.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __elementCreateRequire } from 'node:module'; const require = __elementCreateRequire(import.meta.url);";

/** Prefer the ESM build of dual packages so esbuild can tree-shake them. */
export const BUNDLE_MAIN_FIELDS = ['module', 'main'] as const;

/**
 * Nothing is left to the runtime: the AWS SDK clients a function uses are bundled (ESM, tree-shaken) at
 * the versions package.json pins, so deployed code runs the SDK the tests ran, not whatever version the
 * Lambda runtime ships. Each function bundles only the clients of its own ports
 * (functions/runtime/aws-ports.ts).
 */
export const BUNDLE_EXTERNAL_MODULES = [] as const;

/** The module the Lambda runtime loads (`index.handler`); the other modules of an asset sit in `chunks/`. */
export const BUNDLE_ENTRY_FILE = 'index.mjs';
export const BUNDLE_CHUNK_DIR = 'chunks';

/**
 * esbuild options of one function. Code splitting turns every dynamic `import()` of the code (the SDK
 * client and adapter of each port, JSONata, the local adapters) into a chunk loaded on first use, so a
 * cold start evaluates only what the handler's module graph needs up front.
 */
export const functionBuildOptions = (
  entry: string,
  outdir: string,
  options: { target?: string; sourcemap?: boolean } = {},
): BuildOptions => ({
  entryPoints: { index: entry },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: options.target ?? 'node24',
  minify: true,
  sourcemap: options.sourcemap ?? true,
  sourcesContent: false,
  mainFields: [...BUNDLE_MAIN_FIELDS],
  external: [...BUNDLE_EXTERNAL_MODULES],
  outExtension: { '.js': '.mjs' },
  chunkNames: `${BUNDLE_CHUNK_DIR}/[name]-[hash]`,
  banner: { js: ESM_REQUIRE_BANNER },
  plugins: [deferredBuiltinImportsPlugin],
  metafile: true,
  logLevel: 'warning',
});

/** The build, awaited (the benchmark, tests, and the command line below). */
export const bundleFunction = async (
  entry: string,
  outdir: string,
  options: { target?: string; sourcemap?: boolean } = {},
): Promise<Metafile> => {
  const result = await build(functionBuildOptions(entry, outdir, options));
  return result.metafile as Metafile;
};

/** What bundleFunctionSync runs in a plain Node process: the same build, plugin included. */
const SYNC_BUILD_SCRIPT = `
const [options, pluginUrl] = JSON.parse(process.argv[1]);
const { build } = await import('esbuild');
const { deferredBuiltinImportsPlugin } = await import(pluginUrl);
await build({ ...options, plugins: [deferredBuiltinImportsPlugin] });`;

/**
 * Synchronous, for CDK local bundling (`ILocalBundling.tryBundle` cannot await). esbuild runs plugins
 * only in its asynchronous API, so the same build runs in a child process; the plugin is plain JS
 * (deferred-builtin-imports.mjs) so that process starts without a TypeScript loader.
 */
export const bundleFunctionSync = (entry: string, outdir: string): void => {
  const { plugins: _inProcess, ...options } = functionBuildOptions(entry, outdir);
  const pluginUrl = new URL('./deferred-builtin-imports.mjs', import.meta.url).href;
  execFileSync(
    process.execPath,
    ['--input-type=module', '-e', SYNC_BUILD_SCRIPT, JSON.stringify([options, pluginUrl])],
    { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: ['ignore', 'inherit', 'inherit'] },
  );
};

/**
 * The output files `import()` of the entry evaluates before the handler can run: the entry module and
 * the chunks it imports statically, transitively (not those its dynamic imports load on first use).
 */
export const eagerOutputs = (metafile: Metafile): string[] => {
  const entry = Object.keys(metafile.outputs).find((file) => file.endsWith(`/${BUNDLE_ENTRY_FILE}`));
  const eager = new Set<string>();
  const pending = entry === undefined ? [] : [entry];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (eager.has(file)) continue;
    eager.add(file);
    for (const imported of metafile.outputs[file]?.imports ?? []) {
      if (imported.kind === 'import-statement' && !imported.external) pending.push(imported.path);
    }
  }
  return [...eager];
};

/** The Node built-ins those eager modules import: each costs the cold start its own load time. */
export const eagerBuiltins = (metafile: Metafile): string[] => {
  const builtins = new Set<string>();
  for (const file of eagerOutputs(metafile)) {
    for (const imported of metafile.outputs[file]?.imports ?? []) {
      if (imported.kind === 'import-statement' && imported.external) builtins.add(imported.path);
    }
  }
  return [...builtins].sort();
};
