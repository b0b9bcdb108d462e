import { Duration } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { BACKGROUND_FUNCTIONS } from '../../functions/routes';
import { ElementFunction, type ElementFunctionDefaults, functionDefaults } from './element-function';
import type { Foundation } from './foundation';
import { grantInstanceData, grantStateTableData } from './instances';
import { allowConsume, allowSend, consumeQueues, workQueue } from './queue-actions';

/**
 * The delivery settings of the events queue, shared by the queue, the event source and the dispatcher's
 * environment so they can never disagree.
 */
export const EVENTS_QUEUE_SETTINGS = {
  /**
   * Receives before a message goes to the DLQ. The dispatcher gets the same number
   * (ELEMENT_EVENTS_MAX_RECEIVE_COUNT) so it logs the last attempt DEAD. With the dispatcher's backoff
   * (30 s base, doubling, 15 min cap, full jitter; shared/events/README.md "Dispatcher") 10 receives
   * spread a failing callback over roughly an hour before it is parked.
   */
  maxReceiveCount: 10,
  /** Messages per invocation; the dispatcher answers batchItemFailures so only failures come back. */
  batchSize: 10,
  /** Dispatcher invocations at once: bounds the POSTs a burst of events sends to callback receivers. */
  maxConcurrency: 5,
  /** Lambda's guidance for SQS event sources: visibility timeout at least 6x the function timeout. */
  visibilityTimeoutFactor: 6,
  /** What the DLQ keeps for inspection or redrive (the SQS maximum). */
  dlqRetention: Duration.days(14),
  /** What the queue keeps; longer than the whole retry sequence above. */
  retention: Duration.days(4),
} as const;

/**
 * The poll queue: one message per due instance, sent by the schedule and consumed by the poll workers.
 */
export const POLL_QUEUE_SETTINGS = {
  /** Receives before a poll message is parked: its instance is made due again when its lease ends. */
  maxReceiveCount: 5,
  /** Instances per poll-worker invocation, polled at once. */
  batchSize: 5,
  /**
   * Poll workers at once: the fan-out. 50 x 5 instances in flight; at about 1 s per instance of three
   * resources, some 15,000 instances a minute, well above 10,000 on a 5-minute refresh.
   */
  maxConcurrency: 50,
  visibilityTimeoutFactor: 6,
  dlqRetention: Duration.days(14),
  /** A poll message older than its instance's lease is stale anyway (the lease made it due again). */
  retention: Duration.hours(1),
} as const;

/** Instance secret calls of the events functions (shared/adapters/aws/secret-store.ts). */
export const EVENTS_SECRET_ACTIONS = {
  /**
   * Poll worker and the admin API's poll now: read the ServiceNow credentials and write refreshed OAuth
   * tokens back; never create or delete.
   */
  poller: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'],
  /** Reads the signature key (event.notification.signature.key lives in the instance secret). */
  dispatcher: ['secretsmanager:GetSecretValue'],
} as const;

export interface EventsConstructProps extends ElementFunctionDefaults {
  foundation: Foundation;
  /** The events admin API (poll now, event log, redeliver), which queues like the poll worker does. */
  adminFunction: ElementFunction;
}

/**
 * The "events" capability: EventBridge rule (every minute) -> poll schedule -> SQS poll queue (one
 * message per due instance) -> poll workers (bounded concurrency) -> SQS events queue -> dispatcher ->
 * signed callback POSTs; messages that keep failing park in a DLQ, and an alarm fires as soon as one is
 * there.
 *
 * - Queue and DLQ are encrypted with the stack's customer-managed key (the functions already hold
 *   kms:GenerateDataKey/Decrypt on it for the table and secrets, so no extra key grant is needed; SQS-managed
 *   SSE would save nothing) and refuse non-TLS requests (enforceSSL).
 * - Idempotency: no Powertools idempotency table; the dispatcher's event log in the state table plays that
 *   role (a message whose `EVENT#<eventId>` entry is DELIVERED is deleted without a POST; the poller sends
 *   the same `eventId` again after a crash), and the poller claims each instance with a conditional write
 *   (`claimDue`) so overlapping runs never poll it twice. Delivery stays at-least-once: receivers
 *   de-duplicate on `Elements-Webhook-Id` (shared/events/README.md).
 * - Least privilege: every statement names its table, index, secret prefix, key or queue; the poller may
 *   only send, the dispatcher only consume (plus ChangeMessageVisibility for its backoff).
 */
export class EventsConstruct extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly poller: ElementFunction;
  readonly pollQueue: sqs.Queue;
  readonly pollDeadLetterQueue: sqs.Queue;
  readonly pollWorker: ElementFunction;
  readonly pollDeadLetterAlarm: cloudwatch.Alarm;
  readonly dispatcher: ElementFunction;
  readonly schedule: events.Rule;
  readonly deadLetterAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: EventsConstructProps) {
    super(scope, id);
    const { foundation } = props;
    const settings = EVENTS_QUEUE_SETTINGS;
    const functionProps = functionDefaults(props);

    this.poller = new ElementFunction(this, 'PollerFunction', {
      ...functionProps,
      definition: BACKGROUND_FUNCTIONS.eventsPoller,
    });
    this.dispatcher = new ElementFunction(this, 'DispatcherFunction', {
      ...functionProps,
      definition: BACKGROUND_FUNCTIONS.eventsDispatcher,
    });

    // The dispatcher consumes the DLQ too; parked events whose body is too large for the event log stay
    // there for an operator.
    ({
      queue: this.queue,
      deadLetterQueue: this.deadLetterQueue,
      alarm: this.deadLetterAlarm,
    } = workQueue(this, {
      key: foundation.key,
      settings,
      visibilityTimeout: Duration.seconds(
        BACKGROUND_FUNCTIONS.eventsDispatcher.timeoutSeconds * settings.visibilityTimeoutFactor,
      ),
      deadLettersConsumed: true,
      alarmDescription:
        'snow-element: event callbacks failed every retry and are parked in the events DLQ (see the dispatcher log)',
    }));

    // Poll fan-out: the schedule reads the due-time index (gsi1 Query) and claims instances (conditional
    // writes), no secrets, and sends to the poll queue; the workers poll (checkpoints, instance
    // credentials with refreshed OAuth tokens written back) and fill the events queue.
    const poll = this.createPollFanOut(foundation, functionProps);
    this.pollQueue = poll.queue;
    this.pollDeadLetterQueue = poll.deadLetterQueue;
    this.pollWorker = poll.worker;
    this.pollDeadLetterAlarm = poll.alarm;
    grantStateTableData(this.poller, foundation);
    allowSend(this.poller, 'PollQueueSend', this.pollQueue);
    this.poller.function.addEnvironment('ELEMENT_EVENTS_POLL_QUEUE_URL', this.pollQueue.queueUrl);
    grantInstanceData(this.pollWorker, foundation, EVENTS_SECRET_ACTIONS.poller);
    this.grantSend(this.pollWorker);
    this.schedule = new events.Rule(this, 'PollSchedule', {
      description: 'snow-element: runs the events poll schedule every minute',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      // No retries: the next run is a minute away and picks up whatever is still due.
      targets: [new targets.LambdaFunction(this.poller.function, { retryAttempts: 0 })],
    });

    // The admin API polls one instance now (POST /instances/{id}/events/poll) and redelivers: it queues
    // like the poll worker, reads and writes the event log and the instance credentials.
    grantInstanceData(props.adminFunction, foundation, EVENTS_SECRET_ACTIONS.poller);
    this.grantSend(props.adminFunction);

    // Dispatcher: instance record and event log items, the signature key, and the queue it consumes.
    grantInstanceData(this.dispatcher, foundation, EVENTS_SECRET_ACTIONS.dispatcher);
    allowConsume(this.dispatcher, 'EventsQueueConsume', this.queue);
    allowConsume(this.dispatcher, 'EventsDeadLetterConsume', this.deadLetterQueue);
    consumeQueues(this.dispatcher, [
      {
        id: 'EventsQueueSource',
        queue: this.queue,
        batchSize: settings.batchSize,
        maxConcurrency: settings.maxConcurrency,
      },
      // Dead letters turn their log entries DEAD with the body stored, so the API can redeliver them even
      // when no attempt logged its end (the dispatcher tells them apart by the source ARN).
      { id: 'EventsDeadLetterSource', queue: this.deadLetterQueue, batchSize: settings.batchSize },
    ]);
    this.dispatcher.function.addEnvironment(
      'ELEMENT_EVENTS_DEAD_LETTER_QUEUE_ARN',
      this.deadLetterQueue.queueArn,
    );
    this.dispatcher.function.addEnvironment('ELEMENT_EVENTS_QUEUE_URL', this.queue.queueUrl);
    this.dispatcher.function.addEnvironment(
      'ELEMENT_EVENTS_MAX_RECEIVE_COUNT',
      String(settings.maxReceiveCount),
    );
  }

  /** The poll queue, its DLQ (with its alarm) and the poll worker consuming it. */
  private createPollFanOut(foundation: Foundation, functionProps: ElementFunctionDefaults) {
    const settings = POLL_QUEUE_SETTINGS;
    const scope = new Construct(this, 'Poll');
    const worker = new ElementFunction(scope, 'WorkerFunction', {
      ...functionProps,
      definition: BACKGROUND_FUNCTIONS.eventsPollWorker,
    });
    const { queue, deadLetterQueue, alarm } = workQueue(scope, {
      key: foundation.key,
      settings,
      visibilityTimeout: Duration.seconds(
        BACKGROUND_FUNCTIONS.eventsPollWorker.timeoutSeconds * settings.visibilityTimeoutFactor,
      ),
      deadLettersConsumed: false,
      alarmDescription:
        'snow-element: poll messages failed every retry (see the poll worker log); their instances are polled again when their lease ends',
    });
    allowConsume(worker, 'PollQueueConsume', queue);
    consumeQueues(worker, [
      {
        id: 'PollQueueSource',
        queue,
        batchSize: settings.batchSize,
        maxConcurrency: settings.maxConcurrency,
      },
    ]);
    return { queue, deadLetterQueue, worker, alarm };
  }

  /** sqs:SendMessage on the events queue and its URL (the key grant comes with grantInstanceData). */
  private grantSend(fn: ElementFunction): void {
    allowSend(fn, 'EventsQueueSend', this.queue);
    fn.function.addEnvironment('ELEMENT_EVENTS_QUEUE_URL', this.queue.queueUrl);
  }
}
