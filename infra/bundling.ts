/**
 * esbuild options shared by the CDK NodejsFunction bundling and the bundle benchmark
 * (test/bench/cases/lambda-bundles.ts), so the benchmark measures what is deployed.
 * No aws-cdk-lib import here: the benchmark loads this file without the CDK.
 */

/**
 * esbuild writes an ES module (`index.mjs`); CommonJS dependencies that call `require()` (some of
 * middy's and the SDK's transitive deps do) would fail with "require is not defined in ES module scope".
 * The banner gives the module a real `require`. The import is aliased so it cannot clash with a
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
 * (functions/runtime/aws-ports.ts). NodejsFunction leaves `@aws-sdk/*` out unless told otherwise.
 */
export const BUNDLE_EXTERNAL_MODULES = [] as const;
