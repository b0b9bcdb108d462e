/**
 * How every Lambda function is bundled, shared by the CDK asset (infra/constructs/element-function.ts)
 * and the bundle benchmark (test/bench/cases/lambda-bundles.ts), so the benchmark measures what is
 * deployed. No aws-cdk-lib import here: the benchmark loads this file without the CDK.
 */
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build, type Metafile, type Plugin } from 'esbuild';

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
 * Imports of Node built-ins that a dependency makes at load time for a feature only some calls use,
 * turned into a load on first use (`process.getBuiltinModule`, synchronous, same module). The
 * Powertools Logger imports node:crypto only for `randomInt` in debug-log sampling, which runs only when
 * a sample rate is configured; node:crypto costs every cold start several milliseconds. Each entry is a
 * file of a dependency and the exact statement with its replacement; a statement no longer found (a new
 * version) fails the build, so the rewrite is never silently lost.
 */
export const DEFERRED_BUILTIN_IMPORTS: readonly { file: RegExp; statement: string; replacement: string }[] = [
  {
    file: /[\\/]@aws-lambda-powertools[\\/]logger[\\/]lib[\\/]esm[\\/]Logger\.js$/,
    statement: "import { randomInt } from 'node:crypto';",
    replacement:
      "const randomInt = (min, max) => process.getBuiltinModule('node:crypto').randomInt(min, max);",
  },
];

export const deferredBuiltinImportsPlugin: Plugin = {
  name: 'deferred-builtin-imports',
  setup(esbuild) {
    for (const { file, statement, replacement } of DEFERRED_BUILTIN_IMPORTS) {
      esbuild.onLoad({ filter: file }, async ({ path }) => {
        const source = await readFile(path, 'utf8');
        if (!source.includes(statement)) {
          return {
            errors: [
              { text: `${path} no longer contains \`${statement}\`: update DEFERRED_BUILTIN_IMPORTS` },
            ],
          };
        }
        return { contents: source.replace(statement, replacement), loader: 'js' };
      });
    }
  },
};

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

const THIS_FILE = fileURLToPath(import.meta.url);

/**
 * Synchronous, for CDK local bundling (`ILocalBundling.tryBundle` cannot await). esbuild runs plugins
 * only in its asynchronous API, so the same build runs in a child process (this file's command line).
 */
export const bundleFunctionSync = (entry: string, outdir: string): void => {
  execFileSync(process.execPath, ['--import', 'tsx', THIS_FILE, entry, outdir], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    stdio: ['ignore', 'inherit', 'inherit'],
  });
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

// `tsx infra/bundling.ts <entry> <outdir>`: what bundleFunctionSync runs.
if (process.argv[1] === THIS_FILE) {
  const [entry, outdir] = process.argv.slice(2);
  if (entry === undefined || outdir === undefined) throw new Error('usage: bundling.ts <entry> <outdir>');
  await bundleFunction(entry, outdir);
}
