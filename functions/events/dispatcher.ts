/**
 * The events dispatcher Lambda (SQS event source with ReportBatchItemFailures): delivers queued callback
 * bodies (shared/events/dispatch.ts). Local mode subscribes `createDispatcherHandler(deps)` to its
 * in-process queue, so both run the same code.
 *
 * Environment: `ELEMENT_EVENTS_MAX_RECEIVE_COUNT` (the queue's redrive maxReceiveCount, so the last
 * attempt is logged DEAD), `ELEMENT_EVENTS_CALLBACK_TIMEOUT_MS` (default 10 s). In AWS a failed message's
 * visibility is changed to an exponential delay (needs sqs:ChangeMessageVisibility, part of
 * `grantConsumeMessages`); the queue URL is `ELEMENT_EVENTS_QUEUE_URL` or derived from the record's ARN.
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { type Env, FUNCTION_ENV, readEnv } from '../../shared/config/env';
import {
  createEventLog,
  type DispatchLogger,
  deliverRecords,
  type EventsTarget,
  recordDeadLetters,
} from '../../shared/events';
import { createInstanceStore, type InstanceStore } from '../../shared/instances';
import { createLogger } from '../../shared/logging';
import { sharedOutboundAgent } from '../../shared/net';
import type { BatchResponse, QueueEvent, QueueRecord } from '../../shared/ports';
import { awsStateTable } from '../runtime/aws-ports';
import { awsSecretStore } from '../runtime/aws-secret-store';
import { type AwsPorts, type Dependencies, getDependencies } from '../runtime/dependencies';
import { withMetrics } from '../runtime/metrics';
import { routeDeadLetters, sqsRetryLater } from '../runtime/sqs';

/** The AWS adapters this function uses (functions/runtime/aws-ports.ts); nothing else is bundled. */
const AWS_PORTS: AwsPorts = { stateTable: awsStateTable, secretStore: awsSecretStore };

/**
 * The instance and its configuration with the secret configuration keys (the signature key lives in the
 * instance secret, shared/instances/README.md) merged in. Read on every delivery so a PATCH applies.
 */
export const eventsTargetLoader =
  (store: InstanceStore) =>
  async (instanceId: number): Promise<EventsTarget | undefined> => {
    const instance = await store.get(instanceId);
    if (!instance) return undefined;
    const secret = await store.loadSecret(instance);
    return {
      instance,
      configuration: { ...instance.configuration, ...(secret?.configuration ?? {}) },
    };
  };

export interface DispatcherOptions {
  maxReceiveCount?: number;
  timeoutMs?: number;
  logger?: DispatchLogger;
  retryLater?: (record: QueueRecord, delaySeconds: number) => Promise<void>;
}

const DISPATCHER_ENV = FUNCTION_ENV.pick({
  ELEMENT_EVENTS_MAX_RECEIVE_COUNT: true,
  ELEMENT_EVENTS_CALLBACK_TIMEOUT_MS: true,
});

export const dispatcherOptionsFromEnv = (env: Env): DispatcherOptions => {
  const { ELEMENT_EVENTS_MAX_RECEIVE_COUNT: maxReceiveCount, ELEMENT_EVENTS_CALLBACK_TIMEOUT_MS: timeoutMs } =
    readEnv(DISPATCHER_ENV, env);
  return {
    ...(maxReceiveCount === undefined ? {} : { maxReceiveCount }),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  };
};

export const createDispatcherHandler = (deps: Dependencies, options: DispatcherOptions = {}) => {
  const store = createInstanceStore(deps);
  const eventLog = createEventLog({ stateTable: deps.stateTable, now: deps.now });
  const logger = options.logger ?? createLogger({ serviceName: 'snow-element-events-dispatcher' });
  return (event: QueueEvent): Promise<BatchResponse> =>
    deliverRecords(event.Records, {
      loadInstance: eventsTargetLoader(store),
      eventLog,
      http: sharedOutboundAgent(deps.allowedHosts),
      allowedHosts: deps.allowedHosts,
      now: deps.now,
      logger,
      ...(options.maxReceiveCount === undefined ? {} : { maxReceiveCount: options.maxReceiveCount }),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.retryLater === undefined ? {} : { retryLater: options.retryLater }),
    });
};

/**
 * The events dead-letter queue's consumer (local mode subscribes it to its dead-letter queue): marks
 * each dead message's log entry DEAD with its body, so the API can redeliver it.
 */
export const createDeadLetterHandler = (
  deps: Dependencies,
  options: Pick<DispatcherOptions, 'logger'> = {},
) => {
  const eventLog = createEventLog({ stateTable: deps.stateTable, now: deps.now });
  const logger = options.logger ?? createLogger({ serviceName: 'snow-element-events-dead-letters' });
  return (event: QueueEvent): Promise<BatchResponse> =>
    recordDeadLetters(event.Records, { eventLog, logger });
};

type QueueHandler = (event: QueueEvent) => Promise<BatchResponse>;
let handlersPromise: Promise<{ deliver: QueueHandler; deadLetters: QueueHandler }> | undefined;

/**
 * One function, two event sources: the events queue, and its dead-letter queue
 * (ELEMENT_EVENTS_DEAD_LETTER_QUEUE_ARN), whose messages turn their log entries DEAD.
 */
export const handler = withMetrics(async (event: SQSEvent): Promise<SQSBatchResponse> => {
  handlersPromise ??= getDependencies(AWS_PORTS).then(
    (deps) => ({
      deliver: createDispatcherHandler(deps, {
        ...dispatcherOptionsFromEnv(process.env),
        ...(deps.mode === 'aws' ? { retryLater: sqsRetryLater(process.env.ELEMENT_EVENTS_QUEUE_URL) } : {}),
      }),
      deadLetters: createDeadLetterHandler(deps),
    }),
    (error: unknown) => {
      handlersPromise = undefined;
      throw error;
    },
  );
  const { deliver, deadLetters } = await handlersPromise;
  return routeDeadLetters(
    event.Records as unknown as QueueRecord[],
    process.env.ELEMENT_EVENTS_DEAD_LETTER_QUEUE_ARN,
    { live: deliver, deadLetters },
  );
});
