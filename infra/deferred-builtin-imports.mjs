/**
 * Imports of Node built-ins that a dependency makes at load time for a feature only some calls use,
 * turned into a load on first use (`process.getBuiltinModule`, synchronous, same module). The
 * Powertools Logger imports node:crypto only for `randomInt` in debug-log sampling, which runs only when
 * a sample rate is configured; node:crypto costs every cold start several milliseconds. Each entry is a
 * file of a dependency and the exact statement with its replacement; a statement no longer found (a new
 * version) fails the build, so the rewrite is never silently lost.
 *
 * Plain JS (typed by the .d.mts beside it): infra/bundling.ts also runs it in a child Node process
 * without a TypeScript loader.
 */
import { readFile } from 'node:fs/promises';

export const DEFERRED_BUILTIN_IMPORTS = [
  {
    file: /[\\/]@aws-lambda-powertools[\\/]logger[\\/]lib[\\/]esm[\\/]Logger\.js$/,
    statement: "import { randomInt } from 'node:crypto';",
    replacement:
      "const randomInt = (min, max) => process.getBuiltinModule('node:crypto').randomInt(min, max);",
  },
];

/** The esbuild plugin applying DEFERRED_BUILTIN_IMPORTS. */
export const deferredBuiltinImportsPlugin = {
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
