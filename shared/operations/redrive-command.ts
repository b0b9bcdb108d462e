import type { RedriveOptions } from './redrive';

export const REDRIVE_QUEUES = ['events', 'bulk'] as const;
export type RedriveQueueName = (typeof REDRIVE_QUEUES)[number];

/** A redrive asked for in a way that cannot run (unknown queue, missing outputs...): exit code 2. */
export class UsageError extends Error {}

export interface RedriveCommand {
  queues: RedriveQueueName[];
  options: RedriveOptions;
  target:
    | { kind: 'aws'; outputs: string; stack?: string; dlqUrl?: string; toUrl?: string }
    | { kind: 'local'; url: string; dataDir: string };
}

/** The options of `npm run redrive`, as the command line gave them. */
export interface RedriveArgs {
  queue?: string | undefined;
  'dry-run'?: boolean | undefined;
  max?: string | undefined;
  outputs?: string | undefined;
  stack?: string | undefined;
  'dlq-url'?: string | undefined;
  'to-url'?: string | undefined;
  local?: boolean | undefined;
  url?: string | undefined;
  'data-dir'?: string | undefined;
}

/** What the options ask for, checked together; defaults from the environment (PORT, ELEMENT_DATA_DIR). */
export const redriveCommandOf = (
  values: RedriveArgs,
  env: Readonly<Record<string, string | undefined>>,
): RedriveCommand => {
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
