/**
 * The durations the README's cost table is computed from: the wall time one unit of work takes in the
 * element's own code paths, with ServiceNow answering every request after a fixed latency:
 * - a hub call: `GET /hubs/helpdesk/incidents?pageSize=200` through local mode (authorizer, middlewares,
 *   instance, metadata, shaping: what the hub Lambda runs);
 * - an idle poll: one instance with three resources and nothing changed (`pollInstance`: checkpoints,
 *   one keyset read per resource, one deletes read, the STATUS item);
 * - an event delivered: the dispatcher's handler on a batch of 10 queued messages to a callback receiver
 *   that answers at once (instance, signature, POST, event log).
 * - a row exported: a bulk CSV download job of 20,000 incidents through the local worker (chunks, parts,
 *   completion), per row.
 * Each unit's overhead is its wall time minus the ServiceNow latency it waited for (latency x requests);
 * the cost table adds the latency of the real ServiceNow back. Subject: the hub call's wall time;
 * baseline: the latency of the one ServiceNow request it makes (the ratio is 1 + overhead / latency).
 */
import { pollInstance } from '../../../shared/events';
import { localMetrics } from '../../../shared/metrics';
import { startBulkHarness } from '../../bulk/harness';
import { startDispatchHarness } from '../../events/dispatch-harness';
import { configFor, startEventsHarness } from '../../events/harness';
import { startHubHarness } from '../../hub/harness';
import type { BenchCase } from '../types';

/** What every ServiceNow request waits (the simulator's latency fault). */
const SERVICENOW_LATENCY_MS = Number(process.env.OPS_BENCH_LATENCY_MS ?? 100);
const HUB_CALLS = 30;
const POLLS = 20;
const EVENTS = 200;
const ALWAYS = 1_000_000;
const EXPORT_ROWS = 20_000;

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

const hubCall = async () => {
  const h = await startHubHarness();
  try {
    for (let i = 0; i < 5; i++) await h.hub('GET', '/hubs/helpdesk/incidents?pageSize=200');
    h.sim.faults.inject({ kind: 'latency', ms: SERVICENOW_LATENCY_MS }, { times: ALWAYS });
    const before = h.sim.requests.length;
    const times: number[] = [];
    for (let i = 0; i < HUB_CALLS; i++) {
      const started = performance.now();
      const response = await h.hub('GET', '/hubs/helpdesk/incidents?pageSize=200');
      times.push(performance.now() - started);
      if (response.status !== 200) throw new Error(`hub call answered ${response.status}`);
    }
    return { ms: median(times), requests: (h.sim.requests.length - before) / HUB_CALLS };
  } finally {
    await h.close();
  }
};

const idlePoll = async () => {
  const h = await startEventsHarness();
  try {
    const config = configFor({ incidents: {}, problems: {}, changes: {} });
    await pollInstance(h.deps(), config); // creates the checkpoints
    h.sim.faults.inject({ kind: 'latency', ms: SERVICENOW_LATENCY_MS }, { times: ALWAYS });
    const before = h.sim.requests.length;
    const times: number[] = [];
    for (let i = 0; i < POLLS; i++) {
      const started = performance.now();
      const summary = await pollInstance(h.deps(), config);
      times.push(performance.now() - started);
      if (summary.errors.length > 0) throw new Error(`poll failed: ${JSON.stringify(summary.errors)}`);
    }
    return { ms: median(times), requests: (h.sim.requests.length - before) / POLLS };
  } finally {
    await h.close();
  }
};

const eventDelivery = async () => {
  const h = await startDispatchHarness();
  try {
    await h.createInstance(1);
    const started = performance.now();
    for (let i = 0; i < EVENTS; i++) await h.send(h.message(1, `e${i}`));
    await h.batchesDone(Math.ceil(EVENTS / 10));
    await h.queue.drain();
    const ms = (performance.now() - started) / EVENTS;
    if (h.receiver.requests.length < EVENTS) throw new Error(`only ${h.receiver.requests.length} deliveries`);
    return { ms };
  } finally {
    await h.close();
  }
};

const rowExport = async () => {
  const h = await startBulkHarness({ simulator: { data: { incidents: EXPORT_ROWS } } });
  try {
    h.sim.faults.inject({ kind: 'latency', ms: SERVICENOW_LATENCY_MS }, { times: ALWAYS });
    const before = h.sim.requests.length;
    localMetrics.reset();
    const started = performance.now();
    const q = encodeURIComponent('select * from incidents');
    const created = await h.call('POST', `/hubs/helpdesk/bulk/query?q=${q}`);
    const { id } = created.json<{ id: string }>();
    const done = await h.settle(id);
    const ms = performance.now() - started;
    if (done.status !== 'COMPLETED' || done.recordsCount !== EXPORT_ROWS) {
      throw new Error(`export ended ${JSON.stringify(done)}`);
    }
    // What the worker's metrics counted (shared/metrics): the file's size, as S3 stores and serves it.
    const bytes = localMetrics.snapshot().metrics.BulkBytesDownloaded?.sum ?? Number.NaN;
    return {
      ms: ms / EXPORT_ROWS,
      requests: (h.sim.requests.length - before) / EXPORT_ROWS,
      bytesPerRow: bytes / EXPORT_ROWS,
    };
  } finally {
    await h.close();
  }
};

export const benchCase: BenchCase = {
  name: 'operations cost: durations per hub call, idle poll and event delivered',
  async run() {
    const hub = await hubCall();
    const poll = await idlePoll();
    const delivery = await eventDelivery();
    const exported = await rowExport();
    const overhead = (unit: { ms: number; requests: number }) =>
      unit.ms - unit.requests * SERVICENOW_LATENCY_MS;
    return {
      figures: {
        'ServiceNow latency per request (ms)': SERVICENOW_LATENCY_MS,
        'hub call: wall ms (median)': hub.ms,
        'hub call: ServiceNow requests': hub.requests,
        'hub call: overhead ms (wall - latency x requests)': overhead(hub),
        'idle poll, 3 resources: wall ms (median)': poll.ms,
        'idle poll: ServiceNow requests': poll.requests,
        'idle poll: overhead ms': overhead(poll),
        'event delivered (batches of 10, receiver answers at once): ms per event': delivery.ms,
        'row exported (20,000-row CSV job): wall ms per 1,000 rows': exported.ms * 1000,
        'row exported: ServiceNow requests per 1,000 rows': exported.requests * 1000,
        'row exported: overhead ms per 1,000 rows': overhead(exported) * 1000,
        'row exported: CSV bytes per row (BulkBytesDownloaded)': exported.bytesPerRow,
      },
      subject: { label: 'hub call wall time', value: hub.ms, unit: 'ms' },
      baseline: {
        label: 'ServiceNow latency of its requests',
        value: hub.requests * SERVICENOW_LATENCY_MS,
        unit: 'ms',
      },
      direction: 'lower-is-better',
    };
  },
};
