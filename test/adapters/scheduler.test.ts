import {
  ConflictException,
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  DeleteScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { atExpression, createAwsScheduler } from '../../shared/adapters/aws';
import { createLocalScheduler } from '../../shared/adapters/local';
import { describeSchedulerContract } from './contracts/scheduler.contract';
import { ManualClock } from './fakes/manual-clock';

const START = Date.UTC(2026, 0, 1);
const TARGET = 'arn:aws:lambda:us-east-1:000000000000:function:poller';
const ROLE = 'arn:aws:iam::000000000000:role/scheduler';

/**
 * EventBridge Scheduler has no emulator on npm, so the AWS adapter runs against aws-sdk-client-mock
 * whose handlers keep schedules in a map and answer like the service (Conflict on a duplicate name,
 * ResourceNotFound on deleting a missing one).
 */
function mockScheduler() {
  const schedules = new Map<string, CreateScheduleCommandInput>();
  const mock = mockClient(SchedulerClient);
  const key = (input: { Name?: string; GroupName?: string }) =>
    `${input.GroupName ?? 'default'}/${input.Name}`;
  mock.on(CreateScheduleCommand).callsFake((input: CreateScheduleCommandInput) => {
    if (schedules.has(key(input)))
      throw new ConflictException({ message: 'exists', Message: 'exists', $metadata: {} });
    schedules.set(key(input), input);
    return { ScheduleArn: `arn:aws:scheduler:::schedule/${key(input)}` };
  });
  mock.on(UpdateScheduleCommand).callsFake((input: CreateScheduleCommandInput) => {
    if (!schedules.has(key(input)))
      throw new ResourceNotFoundException({ message: 'missing', Message: 'missing', $metadata: {} });
    schedules.set(key(input), input);
    return {};
  });
  mock.on(DeleteScheduleCommand).callsFake((input: { Name?: string; GroupName?: string }) => {
    if (!schedules.delete(key(input)))
      throw new ResourceNotFoundException({ message: 'missing', Message: 'missing', $metadata: {} });
    return {};
  });
  return { mock, schedules, client: new SchedulerClient({ region: 'us-east-1' }) };
}

const fromAtExpression = (expression: string | undefined) =>
  new Date(`${expression?.replace(/^at\((.*)\)$/, '$1')}Z`);

describeSchedulerContract('EventBridge Scheduler adapter (mocked client)', async () => {
  const { mock, schedules, client } = mockScheduler();
  return {
    scheduler: createAwsScheduler({ client, targetArn: TARGET, roleArn: ROLE, now: () => START }),
    pending: () =>
      [...schedules.values()].map((s) => ({
        name: s.Name ?? '',
        when: fromAtExpression(s.ScheduleExpression),
        payload: JSON.parse(s.Target?.Input ?? 'null'),
      })),
    close: async () => {
      mock.restore();
    },
  };
});

describeSchedulerContract('local timers', async () => {
  const clock = new ManualClock(START);
  const scheduler = createLocalScheduler({ onTrigger: async () => {}, clock });
  return { scheduler, pending: () => scheduler.scheduled(), close: () => scheduler.stop() };
});

describe('EventBridge Scheduler adapter', () => {
  it('creates a self-deleting, UTC, exact-time schedule for the configured target', async () => {
    const { mock, schedules, client } = mockScheduler();
    try {
      const scheduler = createAwsScheduler({
        client,
        targetArn: TARGET,
        roleArn: ROLE,
        groupName: 'snow-element',
        namePrefix: 'dev-',
        deadLetterArn: 'arn:aws:sqs:us-east-1:000000000000:dlq',
        now: () => START,
      });
      await scheduler.at('poll-1', new Date(Date.UTC(2026, 0, 1, 10, 5, 30, 999)), { instanceId: 1 });
      expect(schedules.get('snow-element/dev-poll-1')).toEqual({
        Name: 'dev-poll-1',
        GroupName: 'snow-element',
        ScheduleExpression: 'at(2026-01-01T10:05:30)',
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        ActionAfterCompletion: 'DELETE',
        Target: {
          Arn: TARGET,
          RoleArn: ROLE,
          Input: '{"instanceId":1}',
          DeadLetterConfig: { Arn: 'arn:aws:sqs:us-east-1:000000000000:dlq' },
        },
      });
      // A time already past is moved to the next second rather than rejected.
      await scheduler.at('late', new Date(START - 60_000), {});
      expect(schedules.get('snow-element/dev-late')?.ScheduleExpression).toBe(
        atExpression(new Date(START + 1000)),
      );
    } finally {
      mock.restore();
    }
  });
});

describe('local scheduler', () => {
  it('fires a one-off trigger at its time, once, with a copy of the payload', async () => {
    const clock = new ManualClock(START);
    const fired: { name: string; payload: unknown; at: number }[] = [];
    const scheduler = createLocalScheduler({
      clock,
      onTrigger: async (name, payload) => {
        fired.push({ name, payload, at: clock.now() });
      },
    });
    const payload = { instanceId: 7 };
    await scheduler.at('poll-7', new Date(START + 5000), payload);
    payload.instanceId = 8;
    await clock.advance(4999);
    expect(fired).toEqual([]);
    await clock.advance(1);
    expect(fired).toEqual([{ name: 'poll-7', payload: { instanceId: 7 }, at: START + 5000 }]);
    await clock.advance(60_000);
    expect(fired).toHaveLength(1);
    expect(scheduler.scheduled()).toEqual([]);
    await scheduler.stop();
  });

  it('runs a recurring task on its interval without overlapping a slow run', async () => {
    const clock = new ManualClock(START);
    const scheduler = createLocalScheduler({ clock, onTrigger: async () => {} });
    const starts: number[] = [];
    let active = 0;
    let maxActive = 0;
    let release: () => void = () => {};
    scheduler.every('poller', 1000, async () => {
      starts.push(clock.now() - START);
      active++;
      maxActive = Math.max(maxActive, active);
      // The second run is slow: it lasts until released.
      if (starts.length === 2) await new Promise<void>((resolve) => (release = resolve));
      active--;
    });
    await clock.advance(2500);
    expect(starts).toEqual([1000, 2000]);
    await clock.advance(5000); // the slow run holds: no new starts
    expect(starts).toEqual([1000, 2000]);
    release();
    await clock.advance(0);
    expect(starts).toEqual([1000, 2000, 7500]); // overdue: starts right after the slow run ends
    await clock.advance(1000);
    expect(starts).toEqual([1000, 2000, 7500, 8500]);
    expect(maxActive).toBe(1);
    await scheduler.stop();
    await clock.advance(10_000);
    expect(starts).toHaveLength(4);
  });

  it('keeps going after a failing run and reports the failure', async () => {
    const clock = new ManualClock(START);
    const errors: string[] = [];
    const scheduler = createLocalScheduler({
      clock,
      onTrigger: async () => {},
      onError: (name, error) => errors.push(`${name}: ${(error as Error).message}`),
    });
    let runs = 0;
    const handle = scheduler.every('flaky', 100, async () => {
      runs++;
      if (runs === 1) throw new Error('boom');
    });
    await clock.advance(300);
    expect(runs).toBe(3);
    expect(errors).toEqual(['flaky: boom']);
    handle.cancel();
    await clock.advance(1000);
    expect(runs).toBe(3);
    await scheduler.stop();
  });

  it('waits for a running task on stop', async () => {
    const scheduler = createLocalScheduler({ onTrigger: async () => {} });
    let started = false;
    let finished = false;
    scheduler.every('tick', 5, async () => {
      started = true;
      await new Promise((resolve) => setTimeout(resolve, 30));
      finished = true;
    });
    while (!started) await new Promise((resolve) => setTimeout(resolve, 5));
    await scheduler.stop();
    expect(finished).toBe(true);
  });
});
