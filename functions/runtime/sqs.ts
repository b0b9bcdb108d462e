/**
 * What the SQS-driven functions (events dispatcher, poll worker, bulk worker) share: the one partial-batch
 * loop, backing off a failed message through ChangeMessageVisibility, and taking a queue and its
 * dead-letter queue as two event sources.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createLogger, type Logger } from '../../shared/logging';
import type { BatchResponse, QueueEvent, QueueRecord } from '../../shared/ports';
import { mapBounded } from '../../shared/resilience';
import { metricsMiddleware } from './metrics';

export interface RecordLoopOptions {
  /** Records handled at once; default all of them. */
  concurrency?: number;
}

/**
 * Powertools' SQS processor with its records run through the project's bounded pool instead of all at
 * once. `processRecord` never throws (a failure is recorded for the batch answer), so one failed record
 * never stops the others.
 */
class BoundedSqsProcessor extends BatchProcessor {
  constructor(private readonly concurrency: number | undefined) {
    super(EventType.SQS);
  }

  override async process(): ReturnType<BatchProcessor['process']> {
    this.prepare();
    const processed = await mapBounded(this.records, this.concurrency ?? this.records.length, (record) =>
      this.processRecord(record),
    );
    this.clean();
    return processed;
  }
}

/**
 * The one SQS partial-batch loop (Powertools BatchProcessor): every record goes through `handleRecord`,
 * at most `concurrency` at once. A record whose handler throws is listed in `batchItemFailures` so the
 * queue hands it out again; the others are deleted. A batch in which every record failed is answered
 * the same way (not thrown), so the queue's own retry count keeps counting per message.
 */
export const processRecords = async (
  records: readonly QueueRecord[],
  handleRecord: (record: QueueRecord) => Promise<unknown>,
  options: RecordLoopOptions = {},
): Promise<BatchResponse> => {
  if (records.length === 0) return { batchItemFailures: [] };
  // A processor holds the state of one batch: one per call, so overlapping batches never share it.
  const processor = new BoundedSqsProcessor(options.concurrency);
  return processPartialResponse(
    { Records: records as unknown as SQSRecord[] },
    (record: SQSRecord) => handleRecord(record as unknown as QueueRecord),
    processor,
    { throwOnFullBatchFailure: false },
  );
};

type QueueHandler = (event: QueueEvent) => Promise<BatchResponse>;

/**
 * One function, two event sources: records from the dead-letter queue (`deadLetterQueueArn`) go to
 * `deadLetters`, all others to `live`; the partial-batch answer covers both.
 */
export const routeDeadLetters = async (
  records: readonly QueueRecord[],
  deadLetterQueueArn: string | undefined,
  handlers: { live: QueueHandler; deadLetters: QueueHandler },
): Promise<BatchResponse> => {
  const dead = records.filter(
    (record) => deadLetterQueueArn !== undefined && record.eventSourceARN === deadLetterQueueArn,
  );
  const live = records.filter((record) => !dead.includes(record));
  return {
    batchItemFailures: [
      ...(live.length > 0 ? (await handlers.live({ Records: live })).batchItemFailures : []),
      ...(dead.length > 0 ? (await handlers.deadLetters({ Records: dead })).batchItemFailures : []),
    ],
  };
};

/** `arn:aws:sqs:<region>:<account>:<name>` -> `https://sqs.<region>.amazonaws.com/<account>/<name>`. */
export const queueUrlFromArn = (arn: string): string | undefined => {
  const match = /^arn:aws[a-z-]*:sqs:([a-z]{2}(?:-[a-z]+)+-\d+):(\d{12}):([A-Za-z0-9_.-]+)$/.exec(arn);
  if (!match) return undefined;
  const [, region, account, name] = match;
  const domain = region?.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://sqs.${region}.${domain}/${account}/${name}`;
};

/**
 * Backoff through SQS ChangeMessageVisibility: the failed message comes back after `delaySeconds`
 * instead of the queue's visibility timeout. The SDK is loaded on the first failure only; the queue URL
 * is the configured one or derived from the record's ARN.
 */
export const sqsRetryLater = (queueUrl: string | undefined) => {
  let change: Promise<(url: string, handle: string, seconds: number) => Promise<void>> | undefined;
  return async (record: QueueRecord, delaySeconds: number): Promise<void> => {
    const url = queueUrl ?? queueUrlFromArn(record.eventSourceARN);
    if (url === undefined) return;
    change ??= import('../../shared/adapters/aws/queue-producer').then((sqs) => {
      const client = sqs.createDefaultSqsClient();
      return (url: string, handle: string, seconds: number) =>
        sqs.changeMessageVisibility(client, url, handle, seconds);
    });
    await (await change)(url, record.receiptHandle, delaySeconds);
  };
};

type SqsHandler = (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse>;

/**
 * A queue-driven entry point: middy with Powertools' Lambda context on the log lines, and the batch
 * handler built on the first invocation (a failed start is retried by the next one).
 */
export const queueFunction = (
  build: (logger: Logger) => Promise<(event: QueueEvent) => Promise<BatchResponse>>,
): SqsHandler => {
  const logger = createLogger();
  let built: Promise<(event: QueueEvent) => Promise<BatchResponse>> | undefined;
  const wrapped = middy(async (event: SQSEvent) => {
    built ??= build(logger).catch((error: unknown) => {
      built = undefined;
      throw error;
    });
    return (await built)(event as unknown as QueueEvent);
  })
    .use(injectLambdaContext(logger))
    .use(metricsMiddleware());
  // Local callers (tests, tools) may pass no context.
  return (event, context) => wrapped(event, context ?? ({} as Context));
};
