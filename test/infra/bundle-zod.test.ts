/**
 * No function bundles classic zod (~450 KB minified, most of a cold start): every schema goes through
 * zod/mini (shared/validation/zod.ts), which the bundler trims to what each function uses.
 */
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { expect, it } from 'vitest';
import { AUTHORIZER_FUNCTION, BACKGROUND_FUNCTIONS, LAMBDA_FUNCTIONS } from '../../functions/routes';
import { functionBuildOptions } from '../../infra/bundling';
import { REPO_ROOT } from '../../infra/paths';

const FUNCTIONS = { ...LAMBDA_FUNCTIONS, authorizer: AUTHORIZER_FUNCTION, ...BACKGROUND_FUNCTIONS };

it('no Lambda function bundles classic zod, only zod/mini', async () => {
  // One build of every entry point (the deployed options, nothing written): esbuild parses each
  // dependency once, and its inputs are the union of the functions' modules.
  const result = await build({
    ...functionBuildOptions('', join(REPO_ROOT, '.tmp', 'bundle-zod')),
    entryPoints: Object.fromEntries(
      Object.entries(FUNCTIONS).map(([name, fn]) => [name, join(REPO_ROOT, fn.entry)]),
    ),
    write: false,
    metafile: true,
    sourcemap: false,
  });
  const zodFiles = Object.keys((result.metafile as Metafile).inputs).filter((file) =>
    file.includes('node_modules/zod/'),
  );
  expect(zodFiles.filter((file) => file.includes('/v4/classic/'))).toEqual([]);
  expect(zodFiles.some((file) => file.includes('/v4/mini/'))).toBe(true);
});
