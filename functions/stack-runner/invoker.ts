/**
 * Lambda's invoke side: each function runs in child processes ("execution environments") on the Lambda
 * runtime's Node, one invocation at a time per environment, with exactly the environment the template
 * gives it plus what Lambda itself sets; the function's timeout kills the environment, its memory caps the
 * V8 heap, and the 6 MB synchronous payload limits apply both ways. After each invocation it logs
 * Lambda's REPORT line (Init Duration on the first invocation of an environment, as Lambda does).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type CpuQuotas, lambdaVcpus } from './cpu-share';

/** Lambda's synchronous invocation payload limit, request and response (6 MB = 6,291,556 bytes). */
export const LAMBDA_PAYLOAD_LIMIT_BYTES = 6_291_556;

export interface FunctionSpec {
  logicalId: string;
  name: string;
  arn: string;
  /** `index.handler` */
  handler: string;
  /** Folder holding the function's code (its staged asset). */
  taskRoot: string;
  /** Template variables (resolved) plus the runtime's own. */
  environment: Record<string, string>;
  timeoutSeconds: number;
  memoryMb: number;
}

export type InvokeResult =
  | { ok: true; payload: string; durationMs: number }
  | { ok: false; errorType: string; errorMessage: string; durationMs: number };

/** What Lambda's REPORT line states about one invocation (durations rounded to 0.01 ms, as printed). */
export interface InvocationReport {
  functionName: string;
  requestId: string;
  /** The handler call, measured inside the environment; the function's timeout when it timed out. */
  durationMs: number;
  /** Duration plus Init Duration, rounded up to the millisecond (Lambda bills the init of on-demand functions). */
  billedDurationMs: number;
  memorySizeMb: number;
  /** Peak resident memory of the environment so far. */
  maxMemoryUsedMb: number;
  /** The handler module's import: only on the first invocation of an environment. */
  initDurationMs?: number;
  ok: boolean;
  /** Lambda's `Status:` field: absent when the handler returned or threw, else how the invocation ended. */
  status?: 'timeout' | 'error';
  errorType?: string;
}

export interface InvokerOptions {
  /** Node binary of the Lambda runtime. */
  nodePath: string;
  /** Environments per function at most (Lambda scales further; one machine should not). */
  maxEnvironments?: number;
  onLog?(functionName: string, line: string): void;
  /** After each invocation, with what its REPORT line says. */
  onReport?(report: InvocationReport): void;
  /** Gives each environment Lambda's CPU share for its memory (cpu-share.ts); unset: a free core. */
  cpuQuotas?: CpuQuotas;
}

type InvokeFailure = Extract<InvokeResult, { ok: false }>;

interface Environment {
  child: ChildProcess;
  /** Resolves once the handler is loaded, with the failure when it could not be. */
  ready: Promise<InvokeFailure | undefined>;
  busy: boolean;
  /** Killed or exited: never handed out again (its exit may not have been seen yet). */
  dead: boolean;
  /** Set until the first invocation has reported it. */
  initDurationMs?: number;
  /** Peak RSS the environment last reported, in KiB. */
  maxRssKb: number;
}

interface ChildMessage {
  type: string;
  id?: string;
  payload?: string;
  error?: { errorType: string; errorMessage: string };
  durationMs?: number;
  initDurationMs?: number;
  maxRssKb?: number;
}

const hundredths = (ms: number) => Math.round(ms * 100);

/** Lambda's REPORT line, tab-separated as Lambda prints it. */
export const reportLine = (report: InvocationReport): string =>
  [
    `REPORT RequestId: ${report.requestId}`,
    `Duration: ${report.durationMs.toFixed(2)} ms`,
    `Billed Duration: ${report.billedDurationMs} ms`,
    `Memory Size: ${report.memorySizeMb} MB`,
    `Max Memory Used: ${report.maxMemoryUsedMb} MB`,
    ...(report.initDurationMs === undefined ? [] : [`Init Duration: ${report.initDurationMs.toFixed(2)} ms`]),
    ...(report.status ? [`Status: ${report.status}`] : []),
    ...(report.status === 'error' && report.errorType ? [`Error Type: ${report.errorType}`] : []),
  ].join('\t');

/** Peak RSS of a running child from /proc (a killed or busy child cannot say it), else the last one it sent. */
const peakRssKb = (environment: Environment): number => {
  try {
    const status = readFileSync(`/proc/${environment.child.pid}/status`, 'utf8');
    const peak = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1];
    if (peak) return Math.max(Number(peak), environment.maxRssKb);
  } catch {
    // Not Linux, or the child is gone.
  }
  return environment.maxRssKb;
};

const BOOTSTRAP = join(dirname(fileURLToPath(import.meta.url)), 'lambda-bootstrap.mjs');

/**
 * Copies an asset into `folder` outside the repository, so the bundle resolves bare imports the way it
 * does in Lambda: only `@aws-sdk/*` (which the nodejs runtime ships) is reachable, through a symlink to
 * this project's installed SDK. A bundle that needs anything else it did not bundle fails here as there.
 */
export const stageAsset = (assetDir: string, folder: string, repoNodeModules: string): void => {
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(dirname(folder), { recursive: true });
  cpSync(assetDir, folder, { recursive: true });
  const sdk = join(repoNodeModules, '@aws-sdk');
  if (existsSync(sdk) && !existsSync(join(folder, 'node_modules', '@aws-sdk'))) {
    mkdirSync(join(folder, 'node_modules'), { recursive: true });
    symlinkSync(sdk, join(folder, 'node_modules', '@aws-sdk'), 'dir');
  }
};

export const createInvoker = (options: InvokerOptions) => {
  const maxEnvironments = options.maxEnvironments ?? 3;
  const pools = new Map<string, Environment[]>();
  const waiting = new Map<string, (() => void)[]>();
  let closed = false;

  const pipeLines = (spec: FunctionSpec, stream: NodeJS.ReadableStream | null) => {
    if (!stream) return;
    createInterface({ input: stream }).on('line', (line) => options.onLog?.(spec.name, line));
  };

  const spawn = (spec: FunctionSpec): Environment => {
    const heapMb = Math.max(64, Math.floor(spec.memoryMb * 0.85));
    const child = fork(BOOTSTRAP, [], {
      execPath: options.nodePath,
      execArgv: [`--max-old-space-size=${heapMb}`],
      cwd: spec.taskRoot,
      env: spec.environment,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    let releaseCpu: (() => void) | undefined;
    try {
      if (child.pid !== undefined)
        releaseCpu = options.cpuQuotas?.limit(child.pid, lambdaVcpus(spec.memoryMb));
    } catch (error) {
      // An environment that cannot get its share would run on a free core and mislead: none at all.
      child.kill('SIGKILL');
      throw error;
    }
    pipeLines(spec, child.stdout);
    pipeLines(spec, child.stderr);
    const started = Date.now();
    const ready = new Promise<InvokeFailure | undefined>((resolve) => {
      const onMessage = (message: ChildMessage) => {
        if (message.maxRssKb !== undefined) environment.maxRssKb = message.maxRssKb;
        if (message.type === 'ready') {
          child.off('message', onMessage);
          environment.initDurationMs = message.initDurationMs ?? Date.now() - started;
          resolve(undefined);
        } else if (message.type === 'initError' && message.error) {
          child.off('message', onMessage);
          environment.initDurationMs = message.initDurationMs ?? Date.now() - started;
          resolve({ ok: false, ...message.error, durationMs: Date.now() - started });
        }
      };
      child.on('message', onMessage);
      child.once('exit', (code) => {
        environment.initDurationMs ??= Date.now() - started;
        resolve({
          ok: false,
          errorType: 'Runtime.ExitError',
          errorMessage: `Runtime exited during init with exit status ${code}`,
          durationMs: Date.now() - started,
        });
      });
    });
    const environment: Environment = { child, ready, busy: true, dead: false, maxRssKb: 0 };
    child.once('exit', () => {
      releaseCpu?.();
      environment.dead = true;
      const pool = pools.get(spec.name) ?? [];
      pools.set(
        spec.name,
        pool.filter((candidate) => candidate !== environment),
      );
      wakeOne(spec.name);
    });
    return environment;
  };

  const wakeOne = (name: string) => waiting.get(name)?.shift()?.();

  const acquire = async (spec: FunctionSpec): Promise<Environment> => {
    for (;;) {
      if (closed) throw new Error('stack runner is shutting down');
      const pool = pools.get(spec.name) ?? [];
      pools.set(spec.name, pool);
      const idle = pool.find((environment) => !environment.busy && !environment.dead);
      if (idle) {
        idle.busy = true;
        return idle;
      }
      if (pool.length < maxEnvironments) {
        const environment = spawn(spec);
        pool.push(environment);
        return environment;
      }
      await new Promise<void>((resolve) => {
        const list = waiting.get(spec.name) ?? [];
        list.push(resolve);
        waiting.set(spec.name, list);
      });
    }
  };

  const release = (spec: FunctionSpec, environment: Environment) => {
    environment.busy = false;
    wakeOne(spec.name);
  };

  const kill = (environment: Environment) => {
    environment.dead = true;
    if (environment.child.exitCode === null) environment.child.kill('SIGKILL');
  };

  /** The report's fields that do not depend on how the invocation ended; Billed Duration adds a pending init. */
  const reportOf = (
    spec: FunctionSpec,
    environment: Environment,
    requestId: string,
    durationMs: number,
  ): InvocationReport => {
    const duration = hundredths(durationMs);
    const init =
      environment.initDurationMs === undefined ? undefined : hundredths(environment.initDurationMs);
    return {
      functionName: spec.name,
      requestId,
      durationMs: duration / 100,
      billedDurationMs: Math.ceil((duration + (init ?? 0)) / 100),
      memorySizeMb: spec.memoryMb,
      maxMemoryUsedMb: Math.ceil(environment.maxRssKb / 1024),
      ...(init === undefined ? {} : { initDurationMs: init / 100 }),
      ok: true,
    };
  };

  const invoke = async (spec: FunctionSpec, event: unknown): Promise<InvokeResult> => {
    const started = Date.now();
    const serialized = JSON.stringify(event);
    if (Buffer.byteLength(serialized) > LAMBDA_PAYLOAD_LIMIT_BYTES) {
      return {
        ok: false,
        errorType: 'RequestEntityTooLargeException',
        errorMessage: `Request must be smaller than ${LAMBDA_PAYLOAD_LIMIT_BYTES} bytes for the InvokeFunction operation`,
        durationMs: 0,
      };
    }
    const environment = await acquire(spec);
    const id = randomUUID();
    const initFailure = await environment.ready;
    if (initFailure) {
      kill(environment);
      const report = { ...reportOf(spec, environment, id, 0), ok: false, errorType: initFailure.errorType };
      options.onLog?.(
        spec.name,
        `INIT_REPORT Init Duration: ${report.initDurationMs?.toFixed(2)} ms\tPhase: init\tStatus: error\tError Type: ${initFailure.errorType}`,
      );
      options.onReport?.({ ...report, status: 'error' });
      return initFailure;
    }
    const deadline = Date.now() + spec.timeoutSeconds * 1000;
    const invokeStarted = performance.now();
    const result = await new Promise<InvokeResult>((resolve) => {
      const finish = (value: InvokeResult, measured: Partial<InvocationReport> & { durationMs: number }) => {
        clearTimeout(timer);
        environment.child.off('message', onMessage);
        environment.child.off('exit', onExit);
        const { durationMs, ...outcome } = measured;
        const report = { ...reportOf(spec, environment, id, durationMs), ...outcome };
        delete environment.initDurationMs;
        options.onLog?.(spec.name, reportLine(report));
        options.onReport?.(report);
        resolve(value);
      };
      const timer = setTimeout(() => {
        environment.maxRssKb = peakRssKb(environment);
        kill(environment);
        finish(
          {
            ok: false,
            errorType: 'Sandbox.Timedout',
            errorMessage: `Task timed out after ${spec.timeoutSeconds.toFixed(2)} seconds`,
            durationMs: Date.now() - started,
          },
          {
            durationMs: spec.timeoutSeconds * 1000,
            ok: false,
            status: 'timeout',
            errorType: 'Sandbox.Timedout',
          },
        );
      }, spec.timeoutSeconds * 1000);
      const onMessage = (message: ChildMessage) => {
        if (message.id !== id) return;
        if (message.maxRssKb !== undefined) environment.maxRssKb = message.maxRssKb;
        const durationMs = message.durationMs ?? performance.now() - invokeStarted;
        if (message.type === 'result') {
          finish(
            { ok: true, payload: message.payload ?? 'null', durationMs: Date.now() - started },
            { durationMs, ok: true },
          );
        } else if (message.type === 'error' || message.type === 'crash') {
          const errorType = message.error?.errorType ?? 'Error';
          finish(
            {
              ok: false,
              errorType,
              errorMessage: message.error?.errorMessage ?? '',
              durationMs: Date.now() - started,
            },
            // A handler's error is the function's answer; a crash ends the runtime.
            { durationMs, ok: false, errorType, ...(message.type === 'crash' ? { status: 'error' } : {}) },
          );
        }
      };
      const onExit = (code: number | null, signal: string | null) =>
        finish(
          {
            ok: false,
            errorType: 'Runtime.ExitError',
            errorMessage: `Runtime exited with error: ${signal ? `signal: ${signal}` : `exit status ${code}`}`,
            durationMs: Date.now() - started,
          },
          {
            durationMs: performance.now() - invokeStarted,
            ok: false,
            status: 'error',
            errorType: 'Runtime.ExitError',
          },
        );
      environment.child.on('message', onMessage);
      environment.child.once('exit', onExit);
      environment.child.send({
        type: 'invoke',
        id,
        event: serialized,
        deadline,
        invokedFunctionArn: spec.arn,
      });
    });
    if (result.ok && Buffer.byteLength(result.payload) > LAMBDA_PAYLOAD_LIMIT_BYTES) {
      if (!environment.dead) release(spec, environment);
      return {
        ok: false,
        errorType: 'Function.ResponseSizeTooLarge',
        errorMessage: `Response payload size (${Buffer.byteLength(result.payload)} bytes) exceeded maximum allowed payload size (${LAMBDA_PAYLOAD_LIMIT_BYTES} bytes).`,
        durationMs: result.durationMs,
      };
    }
    if (environment.child.exitCode === null && environment.child.signalCode === null)
      release(spec, environment);
    return result;
  };

  /** Ends the idle environments of one function (of every function without a name): the next invocation starts cold. */
  const recycle = async (functionName?: string): Promise<void> => {
    const idle = [...pools.entries()]
      .filter(([name]) => functionName === undefined || name === functionName)
      .flatMap(([, pool]) => pool.filter((environment) => !environment.busy && !environment.dead));
    await Promise.all(
      idle.map(
        (environment) =>
          new Promise<void>((resolve) => {
            environment.child.once('exit', () => resolve());
            kill(environment);
          }),
      ),
    );
  };

  return {
    invoke,
    recycle,
    async close() {
      closed = true;
      const children = [...pools.values()].flat().map((environment) => environment.child);
      await Promise.all(
        children.map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve();
              child.once('exit', () => resolve());
              child.kill('SIGKILL');
            }),
        ),
      );
      for (const list of waiting.values()) for (const wake of list) wake();
    },
  };
};

export type Invoker = ReturnType<typeof createInvoker>;
