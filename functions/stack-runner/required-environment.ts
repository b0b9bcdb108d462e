/**
 * The environment each bundled function needs, read from the code actually in its bundle: the source map
 * of the asset lists every source file esbuild put in, and the project reads a mandatory variable in one
 * way only, `required(env, 'NAME')` (functions/runtime/aws-ports.ts). A source file can hold several such
 * reads of which esbuild kept only some (one factory per port, tree-shaken), so a name counts only when its
 * string literal is still in the bundle. A variable the bundle requires and the template does not set would
 * make every invocation fail with `NAME is not set`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CloudAssembly, resourcesOfType } from './template';

const REQUIRED_READ = /\brequired\(\s*env\s*,\s*'([A-Z][A-Z0-9_]*)'\s*\)/g;

/** Every JavaScript module of an asset: `index.mjs` and the chunks its dynamic imports load. */
export const modulesOfAsset = (assetDir: string): string[] =>
  readdirSync(assetDir, { recursive: true, encoding: 'utf8' })
    .filter((name) => /\.m?js$/.test(name))
    .map((name) => join(assetDir, name));

/** The variables the sources of one asset require (empty without source maps). */
export const requiredVariablesOfAsset = (assetDir: string, repoRoot: string): Set<string> => {
  const required = new Set<string>();
  const modules = modulesOfAsset(assetDir).filter((file) => existsSync(`${file}.map`));
  if (modules.length === 0) return required;
  const bundle = modules.map((file) => readFileSync(file, 'utf8')).join('\n');
  const sources = new Set<string>();
  for (const file of modules) {
    const map = JSON.parse(readFileSync(`${file}.map`, 'utf8')) as { sources?: string[] };
    for (const source of map.sources ?? []) sources.add(source);
  }
  for (const source of sources) {
    if (source.includes('node_modules')) continue;
    const file = join(repoRoot, source.replace(/^(\.\.\/)+/, ''));
    if (!existsSync(file)) continue;
    for (const match of readFileSync(file, 'utf8').matchAll(REQUIRED_READ)) {
      const name = match[1]!;
      if (bundle.includes(`"${name}"`) || bundle.includes(`'${name}'`)) required.add(name);
    }
  }
  return required;
};

export interface MissingVariable {
  functionLogicalId: string;
  variable: string;
}

/** Every (function, variable) its bundle requires and its template environment lacks. */
export const missingRequiredVariables = (assembly: CloudAssembly, repoRoot: string): MissingVariable[] => {
  const missing: MissingVariable[] = [];
  for (const [logicalId, fn] of resourcesOfType(assembly.template, 'AWS::Lambda::Function')) {
    const key = (fn.Properties?.Code as { S3Key?: unknown } | undefined)?.S3Key;
    const assetDir = typeof key === 'string' ? assembly.assets.get(key.replace(/\.zip$/, '')) : undefined;
    if (!assetDir) continue;
    const variables =
      (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
    for (const variable of requiredVariablesOfAsset(assetDir, repoRoot)) {
      if (!(variable in variables)) missing.push({ functionLogicalId: logicalId, variable });
    }
  }
  return missing;
};
