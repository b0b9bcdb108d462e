/**
 * `npm run redrive -- [options]`: moves dead letters back to their source queue (README "Operating it").
 *
 *   --queue events|bulk    which pair (default: both)
 *   --dry-run              count what is waiting, move nothing
 *   --max <n>              move at most n messages per queue
 * AWS (credentials and region from the usual AWS SDK environment; AWS_ENDPOINT_URL_SQS for an emulator):
 *   --outputs <file>       `cdk deploy --outputs-file` JSON (default cdk-outputs.json); the stack's
 *                          <Queue>QueueUrl and <Queue>DeadLetterQueueUrl outputs name the queues
 *   --stack <name>         the stack in that file (default: its only one)
 *   --dlq-url <url> --to-url <url>   the two queues given directly (with one --queue)
 * Local mode:
 *   --local                local mode's queues: through the running `npm start` at --url, or, when
 *                          nothing answers there, in the files under --data-dir
 *   --url <origin>         default http://127.0.0.1:$PORT (3000)
 *   --data-dir <dir>       default $ELEMENT_DATA_DIR or ./.element-data
 *
 * Prints one JSON line per queue: {queue, waiting, moved, failed, dryRun}; exits 1 if any message could
 * not be moved, 2 on a usage error.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createLocalQueue } from '../../shared/adapters/local/queue';
import { LOCAL_OPERATIONS_PATH } from '../local/operations-route';
import { LOCAL_BULK_QUEUE_FILE, LOCAL_EVENTS_QUEUE_FILE } from '../runtime/dependencies';
import { type RedriveOptions, type RedriveResult, redriveLocal, redriveSqs } from './redrive';

export const REDRIVE_QUEUES = ['events', 'bulk'] as const;
export type RedriveQueueName = (typeof REDRIVE_QUEUES)[number];

/** Stack output names of each queue pair (infra/stack.ts). */
const OUTPUT_PREFIX: Record<RedriveQueueName, string> = { events: 'Events', bulk: 'Bulk' };
/** Local mode's queue files under the data dir (functions/local/run-local.ts). */
const LOCAL_FILES: Record<RedriveQueueName, string> = {
  events: LOCAL_EVENTS_QUEUE_FILE,
  bulk: LOCAL_BULK_QUEUE_FILE,
};

export class UsageError extends Error {}

export interface RedriveCommand {
  queues: RedriveQueueName[];
  options: RedriveOptions;
  target:
    | { kind: 'aws'; outputs: string; stack?: string; dlqUrl?: string; toUrl?: string }
    | { kind: 'local'; url: string; dataDir: string };
}

export const parseRedriveArgs = (
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): RedriveCommand => {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(args).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const queue = values.queue;
  if (queue !== undefined && !(REDRIVE_QUEUES as readonly string[]).includes(queue)) {
    throw new UsageError(`--queue must be one of ${REDRIVE_QUEUES.join(', ')}`);
  }
  const max = values.max === undefined ? undefined : Number(values.max);
  if (max !== undefined && (!Number.isInteger(max) || max < 1)) {
    throw new UsageError('--max must be a positive integer');
  }
  if ((values['dlq-url'] === undefined) !== (values['to-url'] === undefined)) {
    throw new UsageError('--dlq-url and --to-url go together');
  }
  if (values['dlq-url'] !== undefined && queue === undefined) {
    throw new UsageError('--dlq-url and --to-url need one --queue');
  }
  const queues = queue === undefined ? [...REDRIVE_QUEUES] : [queue as RedriveQueueName];
  const options: RedriveOptions = {
    dryRun: values['dry-run'] === true,
    ...(max === undefined ? {} : { max }),
  };
  if (values.local) {
    return {
      queues,
      options,
      target: {
        kind: 'local',
        url: values.url ?? `http://127.0.0.1:${env.PORT ?? '3000'}`,
        dataDir: values['data-dir'] ?? env.ELEMENT_DATA_DIR ?? './.element-data',
      },
    };
  }
  return {
    queues,
    options,
    target: {
      kind: 'aws',
      outputs: values.outputs ?? 'cdk-outputs.json',
      ...(values.stack === undefined ? {} : { stack: values.stack }),
      ...(values['dlq-url'] === undefined ? {} : { dlqUrl: values['dlq-url'] }),
      ...(values['to-url'] === undefined ? {} : { toUrl: values['to-url'] }),
    },
  };
};

const parse = (args: readonly string[]) =>
  parseArgs({
    args: [...args],
    strict: true,
    allowPositionals: false,
    options: {
      queue: { type: 'string' },
      'dry-run': { type: 'boolean' },
      max: { type: 'string' },
      outputs: { type: 'string' },
      stack: { type: 'string' },
      'dlq-url': { type: 'string' },
      'to-url': { type: 'string' },
      local: { type: 'boolean' },
      url: { type: 'string' },
      'data-dir': { type: 'string' },
    },
  });

/** The queue URLs of `queue` from a `cdk deploy --outputs-file` JSON. */
export const queueUrlsFromOutputs = (
  outputs: unknown,
  queue: RedriveQueueName,
  stack?: string,
): { deadLetterQueueUrl: string; sourceQueueUrl: string } => {
  if (typeof outputs !== 'object' || outputs === null)
    throw new UsageError('The outputs file is not a JSON object');
  const stacks = outputs as Record<string, Record<string, unknown>>;
  const names = Object.keys(stacks);
  const name = stack ?? (names.length === 1 ? names[0] : undefined);
  if (name === undefined)
    throw new UsageError(`Name the stack with --stack (the file has: ${names.join(', ')})`);
  const values = stacks[name];
  if (values === undefined) throw new UsageError(`No stack "${name}" in the outputs file`);
  const prefix = OUTPUT_PREFIX[queue];
  const deadLetterQueueUrl = values[`${prefix}DeadLetterQueueUrl`];
  const sourceQueueUrl = values[`${prefix}QueueUrl`];
  if (typeof deadLetterQueueUrl !== 'string' || typeof sourceQueueUrl !== 'string') {
    throw new UsageError(`Stack "${name}" has no ${prefix}QueueUrl / ${prefix}DeadLetterQueueUrl outputs`);
  }
  return { deadLetterQueueUrl, sourceQueueUrl };
};

const isConnectionRefused = (error: unknown): boolean =>
  (error as { cause?: { code?: string } })?.cause?.code === 'ECONNREFUSED';

/** Through the running local server; undefined when nothing listens there. */
const redriveThroughServer = async (
  url: string,
  queue: RedriveQueueName,
  options: RedriveOptions,
): Promise<RedriveResult | undefined> => {
  const query = new URLSearchParams({ queue });
  if (options.dryRun) query.set('dryRun', 'true');
  if (options.max !== undefined) query.set('max', String(options.max));
  let response: Response;
  try {
    response = await fetch(`${url}${LOCAL_OPERATIONS_PATH}/redrive?${query}`, { method: 'POST' });
  } catch (error) {
    if (isConnectionRefused(error)) return undefined;
    throw error;
  }
  const body = (await response.json()) as RedriveResult & { message?: string };
  if (!response.ok)
    throw new Error(`The local server refused the redrive: ${body.message ?? response.status}`);
  return { waiting: body.waiting, moved: body.moved, failed: body.failed, dryRun: body.dryRun };
};

/** In the queue files, when no local server runs (it would hold them in memory). */
const redriveFiles = async (dataDir: string, queue: RedriveQueueName, options: RedriveOptions) => {
  const file = LOCAL_FILES[queue];
  const source = createLocalQueue({ name: `redrive-${queue}`, persistPath: join(dataDir, file) });
  const deadLetters = createLocalQueue({
    name: `redrive-${queue}-dlq`,
    persistPath: join(dataDir, `dlq-${file}`),
  });
  try {
    return await redriveLocal(deadLetters, source, options);
  } finally {
    await Promise.all([source.close(), deadLetters.close()]);
  }
};

export const runRedrive = async (
  command: RedriveCommand,
  sqs: () => SQSClient = () => new SQSClient({}),
): Promise<(RedriveResult & { queue: RedriveQueueName })[]> => {
  const results: (RedriveResult & { queue: RedriveQueueName })[] = [];
  const { target } = command;
  let outputs: unknown;
  for (const queue of command.queues) {
    let result: RedriveResult;
    if (target.kind === 'local') {
      result =
        (await redriveThroughServer(target.url, queue, command.options)) ??
        (await redriveFiles(target.dataDir, queue, command.options));
    } else {
      let urls: { deadLetterQueueUrl: string; sourceQueueUrl: string };
      if (target.dlqUrl !== undefined && target.toUrl !== undefined) {
        urls = { deadLetterQueueUrl: target.dlqUrl, sourceQueueUrl: target.toUrl };
      } else {
        outputs ??= JSON.parse(
          await readFile(target.outputs, 'utf8').catch(() => {
            throw new UsageError(
              `Cannot read ${target.outputs} (cdk deploy --outputs-file ${target.outputs})`,
            );
          }),
        );
        urls = queueUrlsFromOutputs(outputs, queue, target.stack);
      }
      result = await redriveSqs(sqs(), urls, command.options);
    }
    results.push({ queue, ...result });
  }
  return results;
};

const main = async () => {
  let command: RedriveCommand;
  try {
    command = parseRedriveArgs(process.argv.slice(2), process.env);
    const results = await runRedrive(command);
    for (const result of results) process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exitCode = results.some((result) => result.failed > 0) ? 1 : 0;
  } catch (error) {
    process.stderr.write(`redrive: ${(error as Error).message}\n`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  }
};

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
