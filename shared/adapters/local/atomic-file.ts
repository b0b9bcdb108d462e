import { randomBytes } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Temp files of `path`'s writes: `.tmp-<file name>-<random>` next to it. */
const tempPrefix = (path: string) => `.tmp-${basename(path)}-`;

/**
 * Write a file so readers (and a crash, even of the machine) see either the old or the new content,
 * never half: write a temp file in the same directory, fsync it, rename it over the target, then fsync
 * the directory so the rename itself is on disk before this resolves.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = join(dir, `${tempPrefix(path)}${randomBytes(8).toString('hex')}`);
  const handle = await open(temp, 'wx', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await fsyncPath(dir);
}

/**
 * fsync a file written without a handle (a stream's output) before it is renamed into place, or a
 * directory, which makes a rename or a new file in it durable.
 */
export async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Removes the temp files crashed writeFileAtomic calls left behind: those of `path`, or with
 * `wholeDirectory` every `.tmp-*` file next to it (the targets themselves are always whole: the old or
 * the new content). Call before the first write; one process per data directory.
 */
export function removeOrphanTemps(path: string, options: { wholeDirectory?: boolean } = {}): void {
  const prefix = options.wholeDirectory ? '.tmp-' : tempPrefix(path);
  const dir = options.wholeDirectory ? path : dirname(path);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    if (isNotFound(error)) return;
    throw error;
  }
  for (const name of names) if (name.startsWith(prefix)) rmSync(join(dir, name), { force: true });
}

export const isNotFound = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'ENOENT';

/** What `operation` gives, or undefined when it failed because the path does not exist. */
export async function ifFound<T>(operation: Promise<T>): Promise<T | undefined> {
  try {
    return await operation;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}
