import { fileURLToPath } from 'node:url';

/**
 * Absolute path of the repository root. Entry files in functions/routes.ts are relative to it, and
 * NodejsFunction needs it as `projectRoot` so esbuild resolves node_modules and the lock file from here
 * no matter which directory `cdk` or vitest was started in.
 */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
