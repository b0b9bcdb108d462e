import { describe, expect, it } from 'vitest';
import { BACKGROUND_FUNCTIONS } from '../../functions/routes';
import { EVENTS_QUEUE_SETTINGS, EventsConstruct, POLL_QUEUE_SETTINGS } from '../../infra/constructs';
import { dispatcherOptionsFromEnv } from '../../shared/events';
import {
  arnOf,
  consumeStatement,
  expectDeadLetterAlarm,
  expectFunctionOf,
  instanceDataStatements,
  logicalId,
  statementsOfRole,
  synthesizeForSuite,
  templateQueries,
  tlsOnlyQueueStatement,
} from './synthesize';

const element = synthesizeForSuite();
const { resource, variablesOf, mappingsOf, queuePolicyOf } = templateQueries(element);

const ids = () => {
  const { stack } = element;
  const { events, foundation } = stack;
  return {
    queue: logicalId(stack, events.queue),
    dlq: logicalId(stack, events.deadLetterQueue),
    key: logicalId(stack, foundation.key),
    table: logicalId(stack, foundation.state.table),
    poller: logicalId(stack, events.poller.function),
    dispatcher: logicalId(stack, events.dispatcher.function),
  };
};

/** The statements grantInstanceData gives (test/infra/auth.test.ts asserts the helper itself). */
const instanceDataStatementsOf = (logGroupId: string, secretActions: string | string[]) =>
  instanceDataStatements(element.stack, logGroupId, secretActions);

describe('events construct: schedule', () => {
  it('runs the poller every minute from one EventBridge rule, without retries', () => {
    const { poller } = ids();
    expect(element.stack.events).toBeInstanceOf(EventsConstruct);
    const rules = Object.values(element.template.findResources('AWS::Events::Rule'));
    expect(rules).toHaveLength(1);
    expect(rules[0]?.Properties).toMatchObject({
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [{ Arn: arnOf(poller), RetryPolicy: { MaximumRetryAttempts: 0 } }],
    });
    const rule = logicalId(element.stack, element.stack.events.schedule);
    const permissions = Object.values(element.template.findResources('AWS::Lambda::Permission')).filter(
      (p) => JSON.stringify(p.Properties.FunctionName) === JSON.stringify(arnOf(poller)),
    );
    expect(permissions.map((p) => p.Properties)).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        FunctionName: arnOf(poller),
        Principal: 'events.amazonaws.com',
        SourceArn: arnOf(rule),
      },
    ]);
  });

  it('builds poller and dispatcher from BACKGROUND_FUNCTIONS on nodejs24.x arm64', () => {
    const { poller, dispatcher } = ids();
    for (const [id, definition] of [
      [poller, BACKGROUND_FUNCTIONS.eventsPoller],
      [dispatcher, BACKGROUND_FUNCTIONS.eventsDispatcher],
    ] as const) {
      expectFunctionOf(element.template, id, definition);
    }
    expect(BACKGROUND_FUNCTIONS.eventsPoller.timeoutSeconds).toBeGreaterThanOrEqual(120);
  });
});

describe('events construct: queue and DLQ', () => {
  it('encrypts both queues with the stack key and refuses requests without TLS', () => {
    const { queue, dlq, key } = ids();
    for (const id of [queue, dlq]) {
      expect(resource('AWS::SQS::Queue', id)?.Properties.KmsMasterKeyId).toEqual(arnOf(key));
      const policies = queuePolicyOf(id);
      expect(policies).toHaveLength(1);
      expect(policies[0]?.Properties.PolicyDocument.Statement).toEqual([tlsOnlyQueueStatement(id)]);
    }
  });

  it('redrives to the DLQ after the receive count the dispatcher is told, and keeps parked events 14 days', () => {
    const { queue, dlq, dispatcher } = ids();
    const { Properties } = resource('AWS::SQS::Queue', queue) ?? {};
    expect(Properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: arnOf(dlq),
      maxReceiveCount: EVENTS_QUEUE_SETTINGS.maxReceiveCount,
    });
    // The dispatcher reads the same number from its environment, so it logs the last attempt DEAD.
    const fromEnv = dispatcherOptionsFromEnv(variablesOf(dispatcher) as Record<string, string>);
    expect(fromEnv.maxReceiveCount).toBe(Properties.RedrivePolicy.maxReceiveCount);
    expect(resource('AWS::SQS::Queue', dlq)?.Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
    expect(resource('AWS::SQS::Queue', dlq)?.Properties.RedrivePolicy).toBeUndefined();
    expect(resource('AWS::SQS::Queue', dlq)?.DeletionPolicy).toBe('Retain');
  });

  it('hides a message at least 6x the dispatcher timeout, and keeps it longer than the retries take', () => {
    const { queue, dispatcher } = ids();
    const { Properties } = resource('AWS::SQS::Queue', queue) ?? {};
    const timeout = resource('AWS::Lambda::Function', dispatcher)?.Properties.Timeout;
    expect(Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * timeout);
    // Backoff capped at 15 min per receive (shared/events/README.md), so the whole sequence fits.
    expect(Properties.MessageRetentionPeriod).toBeGreaterThan(
      EVENTS_QUEUE_SETTINGS.maxReceiveCount * 15 * 60,
    );
  });

  it('alarms as soon as one message is visible in the DLQ', () => {
    const { dlq } = ids();
    expectDeadLetterAlarm(element.template, dlq);
  });
});

describe('events construct: dispatcher', () => {
  it('consumes the queue in batches of 10 with partial batch failures and bounded concurrency', () => {
    const { queue, dispatcher } = ids();
    const mappings = mappingsOf(queue);
    expect(mappings.map((m) => m.Properties)).toEqual([
      {
        EventSourceArn: arnOf(queue),
        FunctionName: { Ref: dispatcher },
        BatchSize: 10,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: EVENTS_QUEUE_SETTINGS.maxConcurrency },
      },
    ]);
  });

  it('may read instance data and the signature key, and consume (not send to) the events queue and its DLQ only', () => {
    const { queue, dlq, dispatcher } = ids();
    expect(statementsOfRole(element.template, dispatcher)).toEqual([
      ...instanceDataStatementsOf(
        logicalId(element.stack, element.stack.events.dispatcher.logGroup),
        'secretsmanager:GetSecretValue',
      ),
      consumeStatement('EventsQueueConsume', queue),
      consumeStatement('EventsDeadLetterConsume', dlq),
    ]);
  });

  it('consumes the DLQ too, told apart by its ARN, so every dead letter turns its log entry DEAD', () => {
    const { dlq, dispatcher } = ids();
    const mappings = mappingsOf(dlq);
    expect(mappings.map((m) => m.Properties)).toEqual([
      {
        EventSourceArn: arnOf(dlq),
        FunctionName: { Ref: dispatcher },
        BatchSize: 10,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      },
    ]);
    expect(variablesOf(dispatcher)).toMatchObject({ ELEMENT_EVENTS_DEAD_LETTER_QUEUE_ARN: arnOf(dlq) });
    // Lambda refuses an SQS event source whose visibility timeout is shorter than the function's timeout.
    const timeout = resource('AWS::Lambda::Function', dispatcher)?.Properties.Timeout as number;
    expect(resource('AWS::SQS::Queue', dlq)?.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(timeout);
  });

  it('learns the queue URL (backoff) and the max receive count', () => {
    const { queue, dispatcher } = ids();
    expect(variablesOf(dispatcher)).toMatchObject({
      ELEMENT_MODE: 'aws',
      ELEMENT_EVENTS_QUEUE_URL: { Ref: queue },
      ELEMENT_EVENTS_MAX_RECEIVE_COUNT: String(EVENTS_QUEUE_SETTINGS.maxReceiveCount),
      ELEMENT_SECRET_PREFIX: 'snow-element/SnowElement/',
    });
  });
});

describe('events construct: poll fan-out', () => {
  const pollIds = () => {
    const { stack } = element;
    return {
      pollQueue: logicalId(stack, stack.events.pollQueue),
      pollDlq: logicalId(stack, stack.events.pollDeadLetterQueue),
      worker: logicalId(stack, stack.events.pollWorker.function),
      admin: logicalId(stack, stack.api.functions.events.function),
    };
  };

  it('lets the schedule read and claim in the state table (no secrets) and only send to the poll queue', () => {
    const { poller } = ids();
    const { pollQueue } = pollIds();
    const [logs, table, , key] = instanceDataStatementsOf(
      logicalId(element.stack, element.stack.events.poller.logGroup),
      [],
    );
    expect(statementsOfRole(element.template, poller)).toEqual([
      logs,
      table,
      key,
      { Sid: 'PollQueueSend', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: arnOf(pollQueue) },
    ]);
    expect(variablesOf(poller)).toMatchObject({ ELEMENT_EVENTS_POLL_QUEUE_URL: { Ref: pollQueue } });
    expect(variablesOf(poller).ELEMENT_EVENTS_QUEUE_URL).toBeUndefined();
    expect(variablesOf(poller).ELEMENT_SECRET_PREFIX).toBeUndefined();
  });

  it('builds the poll worker from BACKGROUND_FUNCTIONS, fed by the poll queue in batches with bounded concurrency', () => {
    const { pollQueue, worker } = pollIds();
    expectFunctionOf(element.template, worker, BACKGROUND_FUNCTIONS.eventsPollWorker);
    const mappings = mappingsOf(pollQueue);
    expect(mappings.map((m) => m.Properties)).toEqual([
      {
        EventSourceArn: arnOf(pollQueue),
        FunctionName: { Ref: worker },
        BatchSize: POLL_QUEUE_SETTINGS.batchSize,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: POLL_QUEUE_SETTINGS.maxConcurrency },
      },
    ]);
  });

  it('encrypts the poll queue and its DLQ, redrives to the DLQ, hides a message 6x the worker timeout, alarms', () => {
    const { pollQueue, pollDlq, worker } = pollIds();
    const { key } = ids();
    for (const id of [pollQueue, pollDlq]) {
      expect(resource('AWS::SQS::Queue', id)?.Properties.KmsMasterKeyId).toEqual(arnOf(key));
      expect(queuePolicyOf(id)[0]?.Properties.PolicyDocument.Statement).toEqual([tlsOnlyQueueStatement(id)]);
    }
    const { Properties } = resource('AWS::SQS::Queue', pollQueue) ?? {};
    expect(Properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: arnOf(pollDlq),
      maxReceiveCount: POLL_QUEUE_SETTINGS.maxReceiveCount,
    });
    const timeout = resource('AWS::Lambda::Function', worker)?.Properties.Timeout as number;
    expect(Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * timeout);
    expectDeadLetterAlarm(element.template, pollDlq);
  });

  it('lets the poll worker poll instances (credentials read and refreshed), consume the poll queue and send events', () => {
    const { queue } = ids();
    const { pollQueue, worker } = pollIds();
    const [logs, ...instanceData] = instanceDataStatementsOf(
      logicalId(element.stack, element.stack.events.pollWorker.logGroup),
      ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'],
    );
    expect(statementsOfRole(element.template, worker)).toEqual([
      logs,
      consumeStatement('PollQueueConsume', pollQueue),
      ...instanceData,
      { Sid: 'EventsQueueSend', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: arnOf(queue) },
    ]);
    expect(variablesOf(worker)).toMatchObject({ ELEMENT_EVENTS_QUEUE_URL: { Ref: queue } });
  });

  it('gives the events admin function instance data and the events queue, and nothing else', () => {
    const { queue } = ids();
    const { admin } = pollIds();
    expect(statementsOfRole(element.template, admin)).toEqual([
      ...instanceDataStatementsOf(logicalId(element.stack, element.stack.api.functions.events.logGroup), [
        'secretsmanager:GetSecretValue',
        'secretsmanager:PutSecretValue',
      ]),
      { Sid: 'EventsQueueSend', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: arnOf(queue) },
    ]);
  });

  it('lets nobody but the poll worker and the events admin function send to the events queue', () => {
    const { queue } = ids();
    const { worker, admin } = pollIds();
    const senders = Object.keys(element.template.findResources('AWS::Lambda::Function')).filter((id) =>
      statementsOfRole(element.template, id).some((statement) => {
        const text = JSON.stringify(statement);
        return text.includes('sqs:SendMessage') && text.includes(`"${queue}"`);
      }),
    );
    expect(senders.sort()).toEqual([worker, admin].sort());
    expect(variablesOf(admin).ELEMENT_EVENTS_QUEUE_URL).toEqual({ Ref: queue });
    const instances = logicalId(element.stack, element.stack.api.functions.instances.function);
    expect(variablesOf(instances).ELEMENT_EVENTS_QUEUE_URL).toBeUndefined();
  });
});
