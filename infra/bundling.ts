/**
 * How every Lambda function is bundled, shared by the CDK asset (infra/constructs/element-function.ts)
 * and the bundle benchmark (test/bench/cases/lambda-bundles.ts), so the benchmark measures what is
 * deployed. No aws-cdk-lib import here: the benchmark loads this file without the CDK.
 */
import { type BuildOptions, build, buildSync } from 'esbuild';

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
  logLevel: 'warning',
});

/** Synchronous, for CDK local bundling (`ILocalBundling.tryBundle` cannot await). */
export const bundleFunctionSync = (entry: string, outdir: string): void => {
  buildSync(functionBuildOptions(entry, outdir));
};

/** The same build, awaited (the benchmark). */
export const bundleFunction = async (
  entry: string,
  outdir: string,
  options: { target?: string; sourcemap?: boolean } = {},
): Promise<void> => {
  await build(functionBuildOptions(entry, outdir, options));
};
