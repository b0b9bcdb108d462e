import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { createLocalQueue } from '../adapters/local/queue';
import { type RedriveOptions, type RedriveResult, redriveLocal, redriveSqs } from './redrive';
import { type RedriveCommand, type RedriveQueueName, UsageError } from './redrive-command';

/** Stack output names of each queue pair (infra/stack.ts). */
const OUTPUT_PREFIX: Record<RedriveQueueName, string> = { events: 'Events', bulk: 'Bulk' };

/** Where local mode keeps what a redrive touches: its operations endpoint and its queue files. */
export interface LocalQueueLayout {
  operationsPath: string;
  queueFiles: Record<RedriveQueueName, string>;
}

export interface RedriveEnvironment {
  sqs: () => SQSClient;
  local: LocalQueueLayout;
}

export type QueueRedriveResult = RedriveResult & { queue: RedriveQueueName };

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
  layout: LocalQueueLayout,
): Promise<RedriveResult | undefined> => {
  const query = new URLSearchParams({ queue });
  if (options.dryRun) query.set('dryRun', 'true');
  if (options.max !== undefined) query.set('max', String(options.max));
  let response: Response;
  try {
    response = await fetch(`${url}${layout.operationsPath}/redrive?${query}`, { method: 'POST' });
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
const redriveFiles = async (
  dataDir: string,
  queue: RedriveQueueName,
  options: RedriveOptions,
  layout: LocalQueueLayout,
) => {
  const file = layout.queueFiles[queue];
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

/** Runs the command queue by queue: local mode's queues, or a deployed stack's SQS queues. */
export const runRedriveCommand = async (
  command: RedriveCommand,
  environment: RedriveEnvironment,
): Promise<QueueRedriveResult[]> => {
  const results: QueueRedriveResult[] = [];
  const { target } = command;
  let outputs: unknown;
  for (const queue of command.queues) {
    let result: RedriveResult;
    if (target.kind === 'local') {
      result =
        (await redriveThroughServer(target.url, queue, command.options, environment.local)) ??
        (await redriveFiles(target.dataDir, queue, command.options, environment.local));
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
      result = await redriveSqs(environment.sqs(), urls, command.options);
    }
    results.push({ queue, ...result });
  }
  return results;
};
