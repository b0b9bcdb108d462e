/**
 * The Lambda runtime's side of one execution environment: runs in a child process on the runtime's Node,
 * with the function's environment, imports `_HANDLER` from LAMBDA_TASK_ROOT during init (as the nodejs
 * runtime does) and answers invocations sent over IPC one at a time. Plain JavaScript: it must start on
 * any Node without a loader. It measures what Lambda's REPORT line states: the init duration (the handler
 * module's import), each invocation's duration (the handler call) and the peak resident memory.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const errorOf = (error, fallbackType) => ({
  errorType: error instanceof Error ? error.name || fallbackType : fallbackType,
  errorMessage: error instanceof Error ? error.message : String(error),
  stackTrace: error instanceof Error && error.stack ? error.stack.split('\n') : [],
});

const loadHandler = async () => {
  const taskRoot = process.env.LAMBDA_TASK_ROOT ?? process.cwd();
  const spec = process.env._HANDLER ?? 'index.handler';
  const dot = spec.lastIndexOf('.');
  const moduleName = spec.slice(0, dot);
  const exportName = spec.slice(dot + 1);
  const file = ['.mjs', '.js', '.cjs']
    .map((extension) => join(taskRoot, `${moduleName}${extension}`))
    .find((candidate) => existsSync(candidate));
  if (!file) {
    const error = new Error(`Cannot find module '${moduleName}'`);
    error.name = 'Runtime.ImportModuleError';
    throw error;
  }
  const module = await import(pathToFileURL(file).href);
  const handler = module[exportName];
  if (typeof handler !== 'function') {
    const error = new Error(`${spec} is undefined or not exported`);
    error.name = 'Runtime.HandlerNotFound';
    throw error;
  }
  return handler;
};

let current;
const send = (message) => process.send?.(message);
/**
 * Peak resident set size of this process so far, in KiB: Linux's VmHWM of its own memory. Not
 * `resourceUsage().maxRSS`: Linux keeps that figure across exec, so a forked child starts with its
 * parent's peak. Elsewhere, the current RSS.
 */
const maxRssKb = () => {
  try {
    const peak = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (peak) return Number(peak);
  } catch {
    // No procfs (not Linux).
  }
  return Math.ceil(process.memoryUsage.rss() / 1024);
};

process.on('uncaughtException', (error) => {
  send({ type: 'crash', id: current, error: errorOf(error, 'Runtime.UncaughtException') });
  process.exit(129);
});
process.on('unhandledRejection', (error) => {
  send({ type: 'crash', id: current, error: errorOf(error, 'Runtime.UnhandledPromiseRejection') });
  process.exit(128);
});

let handler;
const initStarted = performance.now();
try {
  handler = await loadHandler();
  send({ type: 'ready', initDurationMs: performance.now() - initStarted, maxRssKb: maxRssKb() });
} catch (error) {
  send({
    type: 'initError',
    error: errorOf(error, 'Runtime.ImportModuleError'),
    initDurationMs: performance.now() - initStarted,
    maxRssKb: maxRssKb(),
  });
  process.exit(1);
}

process.on('message', async (message) => {
  if (message?.type !== 'invoke') return;
  current = message.id;
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: message.invokedFunctionArn,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: message.id,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    getRemainingTimeInMillis: () => Math.max(0, message.deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  const started = performance.now();
  try {
    const result = await handler(JSON.parse(message.event), context);
    const payload = result === undefined ? 'null' : JSON.stringify(result);
    send({
      type: 'result',
      id: message.id,
      payload,
      durationMs: performance.now() - started,
      maxRssKb: maxRssKb(),
    });
  } catch (error) {
    send({
      type: 'error',
      id: message.id,
      error: errorOf(error, 'Error'),
      durationMs: performance.now() - started,
      maxRssKb: maxRssKb(),
    });
  }
});
