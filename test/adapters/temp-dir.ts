import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh directory under the OS temp dir; remove it with `cleanup()`. */
export async function makeTempDir(label: string): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `snow-element-${label}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
