/**
 * Events poll fan-out: every due instance polled through the real path (schedule claims and queues one
 * poll message per instance, poll workers consume the queue with `pollClaimed`), with 1, 4 and 16
 * workers. 10,000 instances (BENCH_POLL_INSTANCES) with three resources each and nothing changed, against
 * the simulator in its own process with a fixed latency on every request (BENCH_POLL_LATENCY_MS, a
 * stand-in for a real instance's round trip, which is what parallel workers overlap). Instance records
 * and secrets are served from memory (one ServiceNow client per instance, as the instance cache keeps
 * them), so what is measured is the fan-out: claims, poll messages, checkpoints, status and reschedule
 * writes in the local state table, and the ServiceNow requests. Checks that every instance was polled
 * and rescheduled and that each resource table and the deletes table got exactly one request per
 * instance.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPollWorkerHandler } from '../../../functions/events/handlers';
import { createLocalQueue, createLocalStateTable } from '../../../shared/adapters/local';
import { type EventsInstance, type EventsInstanceAccess, scheduleDuePolls } from '../../../shared/events';
import { markDue, POLL_DUE } from '../../../shared/events/schedule';
import { createOutboundAgent, parseAllowedHosts } from '../../../shared/net';
import type { QueueProducer } from '../../../shared/ports';
import { mapBounded } from '../../../shared/resilience';
import { createServiceNowClient, SemaphoreRegistry, type ServiceNowClient } from '../../../shared/servicenow';
import { startSimulatorProcess } from '../bulk/children';
import type { BenchCase, BenchResult } from '../types';

const INSTANCES = Number(process.env.BENCH_POLL_INSTANCES ?? 10_000);
const LATENCY_MS = Number(process.env.BENCH_POLL_LATENCY_MS ?? 20);
const WORKERS = [1, 4, 16] as const;
const TABLES = ['incident', 'problem', 'change_request', 'sys_audit_delete'];
const CONFIGURATION = {
  'event.notification.enabled': 'true',
  'event.notification.callback.url': 'https://consumer.example/events',
  // A day: a run takes longer than a short interval at 10,000 instances, and an instance due again before
  // the run ends would be indistinguishable from one never polled.
  'event.poller.refresh_interval': '1440',
  'event.poller.configuration': JSON.stringify({ incidents: {}, problems: {}, changes: {} }),
};

/** Nothing changed, so nothing is queued; a queue that accepts everything is enough. */
const acceptingQueue: QueueProducer = { sendBatch: async () => ({ failed: [] }) };

interface Run {
  workers: number;
  ms: number;
  requests: Record<string, number>;
  polled: number;
  rescheduled: number;
}

const pollEveryInstance = async (url: string, workers: number): Promise<Run> => {
  const dataDir = await mkdtemp(join(tmpdir(), 'snow-element-bench-poll-'));
  const stateTable = createLocalStateTable({ dataDir });
  const pollQueue = createLocalQueue({
    name: 'bench-poll',
    // As local mode runs its poll workers: one instance per handler call, `workers` calls at once.
    batchSize: 1,
    concurrency: workers,
    visibilityTimeoutMs: 600_000,
  });
  const requests: Record<string, number> = Object.fromEntries(TABLES.map((t) => [t, 0]));
  const agent = createOutboundAgent({ allowedHosts: parseAllowedHosts('127.0.0.1') });
  const clients = new Map<number, ServiceNowClient>();
  const enabledAt = new Date(Date.now() - 60_000).toISOString();
  const instances: EventsInstanceAccess = {
    get: async (id) => ({
      id,
      elementKey: 'servicenow',
      ownerUserId: 'bench',
      eventsEnabled: true,
      eventsEnabledAt: enabledAt,
      updatedDate: enabledAt,
    }),
    configuration: async () => CONFIGURATION,
    serviceNowClient: async (instance: EventsInstance) => {
      let client = clients.get(instance.id);
      if (client === undefined) {
        const real = createServiceNowClient({
          baseUrl: url,
          auth: { type: 'basic', username: 'admin', password: 'admin' },
          dispatcher: agent,
          semaphores: new SemaphoreRegistry(),
          timeoutMs: 30_000,
        });
        client = {
          ...real,
          list: (table, params) => {
            requests[table] = (requests[table] ?? 0) + 1;
            return real.list(table, params);
          },
        };
        clients.set(instance.id, client);
      }
      return client;
    },
  };
  let polled = 0;
  try {
    const now = () => new Date();
    const due = new Date(Date.now() - 1000);
    await mapBounded(
      Array.from({ length: INSTANCES }, (_, i) => i + 1),
      32,
      (id) => markDue(stateTable, id, due),
    );
    const worker = createPollWorkerHandler(
      { stateTable, now, eventsQueue: acceptingQueue, instances },
      { logger: { info: () => {}, warn: () => {}, error: () => {} } },
    );
    pollQueue.subscribe(async (event) => {
      const answer = await worker(event);
      polled += event.Records.length - answer.batchItemFailures.length;
      return answer;
    });
    const started = performance.now();
    const scheduled = await scheduleDuePolls({ stateTable, now, pollQueue }, { maxInstances: INSTANCES });
    await pollQueue.drain();
    const ms = performance.now() - started;
    if (scheduled.queued !== INSTANCES) throw new Error(`queued ${scheduled.queued} of ${INSTANCES} polls`);
    // Every instance rescheduled a day ahead: none is due before then, neither unclaimed (due when the run
    // started) nor claimed and left unpolled (due when its 15-minute lease ends).
    const hourAfterRun = new Date(Date.now() + 3_600_000).toISOString();
    let notRescheduled = 0;
    let cursor: string | undefined;
    do {
      const page = await stateTable.query({
        pk: POLL_DUE,
        index: 'gsi1',
        sk: { lte: `${hourAfterRun}#~` },
        ...(cursor ? { cursor } : {}),
      });
      notRescheduled += page.items.length;
      cursor = page.cursor;
    } while (cursor);
    return { workers, ms, requests, polled, rescheduled: INSTANCES - notRescheduled };
  } finally {
    await pollQueue.close();
    await stateTable.close();
    await agent.close();
    await rm(dataDir, { recursive: true, force: true });
  }
};

export const benchCase: BenchCase = {
  name: `events: poll fan-out, ${INSTANCES} instances x 3 resources, 1/4/16 workers (${LATENCY_MS} ms per request)`,
  async run(): Promise<BenchResult[]> {
    const sim = await startSimulatorProcess({ seed: 17, incidents: 0 });
    const runs: Run[] = [];
    try {
      await sim.setFaults({ latencyMs: LATENCY_MS });
      for (const workers of WORKERS) {
        const run = await pollEveryInstance(sim.url, workers);
        // A 10,000-instance run takes many minutes: each worker count's time as soon as it is known.
        console.log(
          `  (${workers} workers: ${(run.ms / 1000).toFixed(1)} s, ${(run.ms / INSTANCES).toFixed(1)} ms per instance)`,
        );
        runs.push(run);
      }
    } finally {
      await sim.close();
    }
    for (const run of runs) {
      const wrong = TABLES.filter((table) => run.requests[table] !== INSTANCES);
      if (wrong.length > 0 || run.polled !== INSTANCES || run.rescheduled !== INSTANCES) {
        throw new Error(
          `${run.workers} workers: polled ${run.polled}, rescheduled ${run.rescheduled}, requests ${JSON.stringify(run.requests)} (expected ${INSTANCES} each)`,
        );
      }
    }
    const [one, ...more] = runs as [Run, ...Run[]];
    return more.map((run) => ({
      figures: {
        instances: INSTANCES,
        'injected latency per request (ms)': LATENCY_MS,
        'seconds to poll every instance (1/4/16 workers)': runs
          .map((r) => (r.ms / 1000).toFixed(1))
          .join(' / '),
        'ServiceNow requests per table per run (incident, problem, change_request, sys_audit_delete)':
          TABLES.map((t) => run.requests[t]).join(', '),
        [`speed-up at ${run.workers} workers (linear = ${run.workers})`]: (one.ms / run.ms).toFixed(2),
        'speed-up / linear': (one.ms / run.ms / run.workers).toFixed(2),
      },
      subject: {
        label: `instances/s, ${run.workers} workers`,
        value: (INSTANCES / run.ms) * 1000,
        unit: 'instances/s',
      },
      baseline: { label: 'instances/s, 1 worker', value: (INSTANCES / one.ms) * 1000, unit: 'instances/s' },
      direction: 'higher-is-better',
      target: `>= ${(0.8 * run.workers).toFixed(1)} (0.8x linear)`,
    }));
  },
};
