/**
 * Work that a dependency does at load time for a feature only some calls use, turned into work on first
 * use. Each entry is a file of a dependency and the exact statements it rewrites; a statement no longer
 * found (a new version) fails the build, so a rewrite is never silently lost. Built-ins load through
 * `process.getBuiltinModule` (synchronous, same module once loaded).
 *
 * - middy core imports node:stream, node:stream/promises and node:stream/web for streamed responses
 *   (`streamifyResponse`), which no function of this stack uses: they load only if one ever does.
 * - The Powertools Logger imports node:crypto only for `randomInt` in debug-log sampling, which runs
 *   only when a sample rate is configured.
 * - The AWS SDK's HTTP handler loads node:http with an ESM `import()` for http endpoints (emulators, the
 *   stack runner); building that namespace runs node:http's lazy WebSocket getters, which load Node's
 *   bundled undici. As a CommonJS built-in it loads without them.
 *
 * Work every first request needs stays at init (Lambda may run init before a request arrives): the
 * Console that the Powertools Logger and Metrics open on `process.stdout` is not deferred, since every
 * function writes a log or metrics line on its first request.
 *
 * Plain JS (typed by the .d.mts beside it): infra/bundling.ts also runs it in a child Node process
 * without a TypeScript loader.
 */
import { readFile } from 'node:fs/promises';

export const DEFERRED_BUILTIN_IMPORTS = [
  {
    file: /[\\/]@middy[\\/]core[\\/]index\.js$/,
    edits: [
      {
        statement: 'import { Readable } from "node:stream";',
        replacement:
          'const Readable = { from: (source) => process.getBuiltinModule("node:stream").Readable.from(source) };',
      },
      {
        statement: 'import { pipeline } from "node:stream/promises";',
        replacement:
          'const pipeline = (...streams) => process.getBuiltinModule("node:stream/promises").pipeline(...streams);',
      },
      {
        statement: 'import { ReadableStream } from "node:stream/web";',
        replacement:
          'const ReadableStream = { [Symbol.hasInstance]: (value) => value instanceof process.getBuiltinModule("node:stream/web").ReadableStream };',
      },
    ],
  },
  {
    file: /[\\/]@smithy[\\/]node-http-handler[\\/]dist-es[\\/]node-http-handler\.js$/,
    edits: [
      {
        statement: 'const node_http = await import("node:http");',
        replacement: 'const node_http = process.getBuiltinModule("node:http");',
      },
    ],
  },
  {
    file: /[\\/]@aws-lambda-powertools[\\/]logger[\\/]lib[\\/]esm[\\/]Logger\.js$/,
    edits: [
      {
        statement: "import { randomInt } from 'node:crypto';",
        replacement:
          "const randomInt = (min, max) => process.getBuiltinModule('node:crypto').randomInt(min, max);",
      },
    ],
  },
];

/** The esbuild plugin applying DEFERRED_BUILTIN_IMPORTS. */
export const deferredBuiltinImportsPlugin = {
  name: 'deferred-builtin-imports',
  setup(esbuild) {
    for (const { file, edits } of DEFERRED_BUILTIN_IMPORTS) {
      esbuild.onLoad({ filter: file }, async ({ path }) => {
        let source = await readFile(path, 'utf8');
        for (const { statement, replacement } of edits) {
          if (!source.includes(statement)) {
            return {
              errors: [
                { text: `${path} no longer contains \`${statement}\`: update DEFERRED_BUILTIN_IMPORTS` },
              ],
            };
          }
          source = source.replace(statement, replacement);
        }
        return { contents: source, loader: 'js' };
      });
    }
  },
};
