/**
 * `cdk synth` of the element into a folder of its own under cdk.out/, keyed on a hash of everything that
 * shapes the template and the bundles (sources, package.json with its `sideEffects`, lock file,
 * context), so a second run with the same inputs reuses it. The app is synthesized in-process exactly
 * as `infra/app.ts` builds it, cdk-nag included.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';

/** Folders and files whose content changes the synthesized template or a bundle. */
const INPUTS = [
  'infra',
  'functions',
  'shared',
  'package.json',
  'package-lock.json',
  'cdk.json',
  'tsconfig.json',
];
/** The runner itself is never bundled into a function. */
const NOT_INPUTS = [join('functions', 'stack-runner')];
const COMPLETE_MARKER = '.synthesized';
/** A lock older than this belongs to a synthesis that died; it is taken over. */
const STALE_LOCK_MS = 5 * 60_000;

/**
 * One synthesis per key at a time (test files and `npm run start:stack` may ask together; bundling all
 * functions twice at once would only slow both): the first caller holds `<dir>.lock`, the others wait for
 * its result.
 */
const withLock = async <T>(
  lockPath: string,
  ready: () => boolean,
  work: () => Promise<T>,
): Promise<T | undefined> => {
  for (;;) {
    try {
      closeSync(openSync(lockPath, 'wx'));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (ready()) return undefined;
      const age = Date.now() - (existsSync(lockPath) ? statSync(lockPath).mtimeMs : Date.now());
      if (age > STALE_LOCK_MS) rmSync(lockPath, { force: true });
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lockPath, { force: true });
  }
};

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
  const files = INPUTS.flatMap((input) => filesUnder(join(repoRoot, input))).filter(
    (file) => !NOT_INPUTS.some((excluded) => relative(repoRoot, file).startsWith(excluded)),
  );
  for (const file of files) {
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
  const ready = () => existsSync(join(dir, COMPLETE_MARKER));
  if (ready()) return { dir, fresh: false };
  mkdirSync(outRoot, { recursive: true });
  const synthesized = await withLock(`${dir}.lock`, ready, async () => {
    if (ready()) return false;
    const temporary = `${dir}.tmp-${process.pid}-${Date.now()}`;
    const { createElementApp } = await import('../../infra/element-app');
    try {
      createElementApp({ outdir: temporary, context }).app.synth();
      writeFileSync(join(temporary, COMPLETE_MARKER), new Date().toISOString());
      rmSync(dir, { recursive: true, force: true });
      renameSync(temporary, dir);
    } catch (error) {
      rmSync(temporary, { recursive: true, force: true });
      throw error;
    }
    return true;
  });
  if (!synthesized) return { dir, fresh: false };
  for (const entry of readdirSync(outRoot)) {
    const path = join(outRoot, entry);
    const older = /^stack-[0-9a-f]{16}$/.test(entry) && path !== dir && !existsSync(`${path}.lock`);
    if (older) rmSync(path, { recursive: true, force: true });
  }
  return { dir, fresh: true };
};
