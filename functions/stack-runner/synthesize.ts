/**
 * `cdk synth` of the element into a folder of its own under cdk.out/, keyed on a hash of everything that
 * shapes the template and the bundles (sources, lock file, context), so a second run with the same inputs
 * reuses it. The app is synthesized in-process exactly as `infra/app.ts` builds it, cdk-nag included.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Folders and files whose content changes the synthesized template or a bundle. */
const INPUTS = ['infra', 'functions', 'shared', 'package-lock.json', 'cdk.json', 'tsconfig.json'];
const COMPLETE_MARKER = '.synthesized';

const filesUnder = (path: string): string[] => {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((entry) => filesUnder(join(path, entry)));
};

export const synthesisKey = (repoRoot: string, context: Record<string, string>): string => {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(context));
  for (const file of INPUTS.flatMap((input) => filesUnder(join(repoRoot, input)))) {
    hash.update(relative(repoRoot, file));
    hash.update(readFileSync(file));
  }
  return hash.digest('hex').slice(0, 16);
};

export interface SynthesizedAssembly {
  dir: string;
  /** false when an earlier synthesis with the same inputs was reused. */
  fresh: boolean;
}

/**
 * The cloud assembly of the element for `context` (`allowedHosts`, `logLevel`, ...): reused when one with
 * the same inputs exists, else synthesized into a temporary folder and renamed into place, so parallel
 * callers never read a half-written one. Older `stack-*` assemblies are removed.
 */
export const synthesizeStack = async (
  repoRoot: string,
  context: Record<string, string> = {},
): Promise<SynthesizedAssembly> => {
  const outRoot = join(repoRoot, 'cdk.out');
  const dir = join(outRoot, `stack-${synthesisKey(repoRoot, context)}`);
  if (existsSync(join(dir, COMPLETE_MARKER))) return { dir, fresh: false };
  const temporary = `${dir}.tmp-${process.pid}-${Date.now()}`;
  const { createElementApp } = await import('../../infra/element-app');
  try {
    createElementApp({ outdir: temporary, context }).app.synth();
    writeFileSync(join(temporary, COMPLETE_MARKER), new Date().toISOString());
    if (existsSync(join(dir, COMPLETE_MARKER))) {
      rmSync(temporary, { recursive: true, force: true });
    } else {
      rmSync(dir, { recursive: true, force: true });
      renameSync(temporary, dir);
    }
  } catch (error) {
    rmSync(temporary, { recursive: true, force: true });
    throw error;
  }
  for (const entry of readdirSync(outRoot)) {
    const path = join(outRoot, entry);
    if (/^stack-[0-9a-f]{16}$/.test(entry) && path !== dir) rmSync(path, { recursive: true, force: true });
  }
  return { dir, fresh: true };
};
