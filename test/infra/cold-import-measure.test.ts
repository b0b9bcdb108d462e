import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coldImportScript } from '../bench/measure';

const execFileAsync = promisify(execFile);

// Loaded before the script: any use of process.stdout (whose getter opens a stream) ends the child.
const STDOUT_TRAP = `data:text/javascript,${encodeURIComponent(
  "Object.defineProperty(process, 'stdout', { get() { throw new Error('process.stdout opened'); } });",
)}`;

const runTrapped = (script: string) =>
  execFileAsync(process.execPath, ['--import', STDOUT_TRAP, '--input-type=module', '-e', script]);

describe('cold import() measurement', () => {
  let dir: string;
  let module: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cold-import-'));
    module = join(dir, 'empty.mjs');
    await writeFile(module, 'export const handler = async () => ({ statusCode: 200 });\n');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reports the figure without opening process.stdout, so the stream is never part of it', async () => {
    const { stdout } = await runTrapped(coldImportScript([module]));
    const ms = Number(stdout);
    expect(Number.isFinite(ms)).toBe(true);
    expect(ms).toBeGreaterThan(0);
  });

  it('the trap ends a script that writes through process.stdout', async () => {
    const script = `const t = performance.now(); await import(${JSON.stringify(`file://${module}`)}); process.stdout.write(String(performance.now() - t));`;
    await expect(runTrapped(script)).rejects.toThrow(/process\.stdout opened/);
  });

  it('times several modules in one process, one after the other', async () => {
    const second = join(dir, 'second.mjs');
    await writeFile(second, 'export const value = 1;\n');
    const { stdout } = await runTrapped(coldImportScript([module, second]));
    expect(Number(stdout)).toBeGreaterThan(0);
  });
});
