/**
 * Lambda's invoke side: each function runs in child processes ("execution environments") on the Lambda
 * runtime's Node, one invocation at a time per environment, with exactly the environment the template
 * gives it plus what Lambda itself sets; the function's timeout kills the environment, its memory caps the
 * V8 heap, and the 6 MB synchronous payload limits apply both ways.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

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

export interface InvokerOptions {
  /** Node binary of the Lambda runtime. */
  nodePath: string;
  /** Environments per function at most (Lambda scales further; one machine should not). */
  maxEnvironments?: number;
  onLog?(functionName: string, line: string): void;
}

interface Environment {
  child: ChildProcess;
  ready: Promise<InvokeResult | undefined>;
  busy: boolean;
  /** Killed or exited: never handed out again (its exit may not have been seen yet). */
  dead: boolean;
}

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
    pipeLines(spec, child.stdout);
    pipeLines(spec, child.stderr);
    const started = Date.now();
    const ready = new Promise<InvokeResult | undefined>((resolve) => {
      const onMessage = (message: { type: string; error?: { errorType: string; errorMessage: string } }) => {
        if (message.type === 'ready') {
          child.off('message', onMessage);
          resolve(undefined);
        } else if (message.type === 'initError' && message.error) {
          child.off('message', onMessage);
          resolve({ ok: false, ...message.error, durationMs: Date.now() - started });
        }
      };
      child.on('message', onMessage);
      child.once('exit', (code) =>
        resolve({
          ok: false,
          errorType: 'Runtime.ExitError',
          errorMessage: `Runtime exited during init with exit status ${code}`,
          durationMs: Date.now() - started,
        }),
      );
    });
    const environment: Environment = { child, ready, busy: true, dead: false };
    child.once('exit', () => {
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
    const initFailure = await environment.ready;
    if (initFailure) {
      kill(environment);
      return initFailure;
    }
    const id = randomUUID();
    const deadline = Date.now() + spec.timeoutSeconds * 1000;
    const result = await new Promise<InvokeResult>((resolve) => {
      const finish = (value: InvokeResult) => {
        clearTimeout(timer);
        environment.child.off('message', onMessage);
        environment.child.off('exit', onExit);
        resolve(value);
      };
      const timer = setTimeout(() => {
        kill(environment);
        finish({
          ok: false,
          errorType: 'Sandbox.Timedout',
          errorMessage: `Task timed out after ${spec.timeoutSeconds.toFixed(2)} seconds`,
          durationMs: Date.now() - started,
        });
      }, spec.timeoutSeconds * 1000);
      const onMessage = (message: {
        type: string;
        id?: string;
        payload?: string;
        error?: { errorType: string; errorMessage: string };
      }) => {
        if (message.id !== id) return;
        if (message.type === 'result') {
          finish({ ok: true, payload: message.payload ?? 'null', durationMs: Date.now() - started });
        } else if (message.type === 'error' || message.type === 'crash') {
          finish({
            ok: false,
            errorType: message.error?.errorType ?? 'Error',
            errorMessage: message.error?.errorMessage ?? '',
            durationMs: Date.now() - started,
          });
        }
      };
      const onExit = (code: number | null, signal: string | null) =>
        finish({
          ok: false,
          errorType: 'Runtime.ExitError',
          errorMessage: `Runtime exited with error: ${signal ? `signal: ${signal}` : `exit status ${code}`}`,
          durationMs: Date.now() - started,
        });
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

  return {
    invoke,
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
