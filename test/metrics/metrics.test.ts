import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLocalStateTable } from '../../shared/adapters/local';
import { createEventLog } from '../../shared/events';
import {
  createLocalMetrics,
  localMetrics,
  METRICS,
  METRICS_NAMESPACE,
  recordInstancePoll,
  recordMetric,
  setMetricsSink,
} from '../../shared/metrics';
import { createAwsMetrics } from '../../shared/metrics/aws';
import { makeTempDir } from '../adapters/temp-dir';
import { clientFor, json, startFakeServer } from '../servicenow/helpers/fake-server';

/** The EMF lines Powertools writes to stdout while `work` runs. */
const captureStdout = async (work: () => Promise<void> | void): Promise<Record<string, unknown>[]> => {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    await work();
  } finally {
    spy.mockRestore();
  }
  return lines
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
};

const emfMetricNames = (line: Record<string, unknown>): string[] =>
  (line._aws as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] }).CloudWatchMetrics.flatMap((set) =>
    set.Metrics.map((metric) => metric.Name),
  );

beforeEach(() => localMetrics.reset());
afterEach(() => setMetricsSink(localMetrics));

describe('local metrics', () => {
  it('keeps samples, sum, min and max per metric, and again per instance', () => {
    const sink = createLocalMetrics();
    sink.add(METRICS.serviceNowLatency, 30, { instanceId: 1 });
    sink.add(METRICS.serviceNowLatency, 10, { instanceId: 2 });
    sink.add(METRICS.serviceNowLatency, 20, { instanceId: 1 });
    sink.add(METRICS.eventsQueued, 1);
    sink.add(METRICS.eventsQueued, Number.NaN);
    const snapshot = sink.snapshot();
    expect(snapshot.metrics.ServiceNowLatency).toEqual({
      unit: 'Milliseconds',
      samples: 3,
      sum: 60,
      min: 10,
      max: 30,
    });
    expect(snapshot.metrics.EventsQueued).toEqual({ unit: 'Count', samples: 1, sum: 1, min: 1, max: 1 });
    expect(snapshot.instances['1']?.ServiceNowLatency).toMatchObject({ samples: 2, sum: 50 });
    expect(snapshot.instances['2']?.ServiceNowLatency).toMatchObject({ samples: 1, sum: 10 });
    expect(snapshot.instances['1']?.EventsQueued).toBeUndefined();
  });

  it('never lets a failing sink fail the work', () => {
    setMetricsSink({
      add: () => {
        throw new Error('sink down');
      },
    });
    expect(() => recordMetric(METRICS.eventsQueued, 1)).not.toThrow();
  });
});

describe('poll lag', () => {
  it('is now minus the previous poll (due time minus the refresh interval), also in intervals', () => {
    recordInstancePoll({
      instanceId: 9,
      startedAt: new Date('2026-01-01T00:12:00Z'),
      dueAt: '2026-01-01T00:10:00Z',
      refreshIntervalMinutes: 5,
      failed: false,
    });
    const instance = localMetrics.snapshot().instances['9'];
    expect(instance?.PollLag?.sum).toBe(420);
    expect(instance?.PollLagIntervals?.sum).toBeCloseTo(1.4);
    expect(instance?.PollErrors).toBeUndefined();
  });

  it('counts a failed poll and ignores an unreadable due time', () => {
    recordInstancePoll({
      instanceId: 3,
      startedAt: new Date(),
      dueAt: new Date().toISOString(),
      refreshIntervalMinutes: 1,
      failed: true,
    });
    recordInstancePoll({
      instanceId: 4,
      startedAt: new Date(),
      dueAt: 'not a date',
      refreshIntervalMinutes: 1,
      failed: true,
    });
    const snapshot = localMetrics.snapshot();
    expect(snapshot.instances['3']?.PollErrors?.sum).toBe(1);
    expect(snapshot.instances['4']).toBeUndefined();
  });
});

describe('event log metrics', () => {
  it('counts each transition once, every failed attempt, and no redelivery of a settled message', async () => {
    const temp = await makeTempDir('metrics-event-log');
    const stateTable = createLocalStateTable({ dataDir: temp.dir });
    try {
      const log = createEventLog({ stateTable, now: () => new Date() });
      const event = { instanceId: 5, eventId: 'e1', objectType: 'incidents', eventCount: 1 };
      await log.recordQueued(event);
      await log.recordQueued(event); // the poller's retry after a crash: the same entry
      await log.recordAttempt({ ...event, status: 'FAILED', error: 'HTTP 500' });
      await log.recordAttempt({ ...event, status: 'FAILED', error: 'HTTP 500' });
      await log.recordAttempt({ ...event, status: 'DELIVERED', statusCode: 200 });
      await log.recordAttempt({ ...event, status: 'DELIVERED', statusCode: 200 });
      await log.recordAttempt({ ...event, eventId: 'e2', status: 'DEAD', error: 'HTTP 500' });
      await log.recordAttempt({ ...event, eventId: 'e2', status: 'DEAD', attempted: false });
      const { metrics } = localMetrics.snapshot();
      expect(metrics.EventsQueued?.sum).toBe(1);
      expect(metrics.EventsFailed?.sum).toBe(2);
      expect(metrics.EventsDelivered?.sum).toBe(1);
      expect(metrics.EventsDead?.sum).toBe(1);
    } finally {
      await stateTable.close();
      await temp.cleanup();
    }
  });
});

describe('ServiceNow exchange metrics', () => {
  it('counts requests, 429s, 5xx and latency of the instance through the client hook', async () => {
    const answers = [429, 503, 200];
    const server = await startFakeServer((_req, res) => json(res, answers.shift() ?? 200, { result: [] }));
    try {
      const { serviceNowExchangeRecorder } = await import('../../shared/metrics');
      const client = clientFor(server.url, { onExchange: serviceNowExchangeRecorder(42) });
      await client.request({ method: 'GET', path: '/api/now/table/incident' });
      const instance = localMetrics.snapshot().instances['42'];
      expect(instance?.ServiceNowRequests?.sum).toBe(3);
      expect(instance?.ServiceNowThrottled?.sum).toBe(1);
      expect(instance?.ServiceNowErrors?.sum).toBe(1);
      expect(instance?.ServiceNowLatency?.samples).toBe(3);
      expect(instance?.ServiceNowLatency?.min).toBeGreaterThanOrEqual(0);
    } finally {
      await server.close();
    }
  });
});

describe('AWS metrics (EMF)', () => {
  it('writes instance-scoped values at once with the instance id as a property, not a dimension', async () => {
    const aws = createAwsMetrics({ serviceName: 'snow-element' });
    const lines = await captureStdout(() => aws.sink.add(METRICS.pollLag, 12, { instanceId: 77 }));
    expect(lines).toHaveLength(1);
    const line = lines[0] as Record<string, unknown>;
    expect(line).toMatchObject({ instanceId: '77', PollLag: 12, service: 'snow-element' });
    expect(line._aws).toMatchObject({
      CloudWatchMetrics: [
        {
          Namespace: METRICS_NAMESPACE,
          Dimensions: [['service']],
          Metrics: [{ Name: 'PollLag', Unit: 'Seconds' }],
        },
      ],
    });
  });

  it('buffers service-wide values until the flush', async () => {
    const aws = createAwsMetrics({ serviceName: 'snow-element' });
    const added = await captureStdout(() => {
      aws.sink.add(METRICS.eventsQueued, 1);
      aws.sink.add(METRICS.eventsQueued, 1);
    });
    expect(added).toHaveLength(0);
    const flushed = await captureStdout(() => {
      aws.metrics.publishStoredMetrics();
    });
    expect(flushed).toHaveLength(1);
    expect(flushed[0]).toMatchObject({ EventsQueued: [1, 1] });
  });

  it('is flushed by the entry points’ middy middleware in AWS mode, errors included', async () => {
    vi.resetModules();
    vi.stubEnv('ELEMENT_MODE', 'aws');
    try {
      const runtime = await import('../../functions/runtime/metrics');
      const metrics = await import('../../shared/metrics');
      const handler = runtime.withMetrics(async (event: { fail: boolean }) => {
        metrics.recordMetric(metrics.METRICS.bulkRowsDownloaded, 10);
        if (event.fail) throw new Error('boom');
        return 'ok';
      });
      const context = { functionName: 'bulk-worker' } as never;
      const ok = await captureStdout(async () => {
        expect(await handler({ fail: false }, context)).toBe('ok');
      });
      expect(ok.flatMap(emfMetricNames)).toContain('BulkRowsDownloaded');
      const failed = await captureStdout(async () => {
        await expect(handler({ fail: true }, context)).rejects.toThrow('boom');
      });
      expect(failed.flatMap(emfMetricNames)).toEqual(['BulkRowsDownloaded']);
      metrics.setMetricsSink(metrics.localMetrics);
    } finally {
      vi.unstubAllEnvs();
      vi.resetModules();
    }
  });

  it('leaves handlers unwrapped and stdout quiet outside AWS mode', async () => {
    const { withMetrics } = await import('../../functions/runtime/metrics');
    const handler = async () => 'ok';
    expect(withMetrics(handler)).toBe(handler);
  });
});
