/**
 * The ServiceNow simulator in its own Node process, for the bulk benchmarks: the export side's peak
 * RSS must not include the simulator's million rows, and on 2 cores the two processes get a core each,
 * as client and instance would. Forked by `startSimulatorProcess` (children.ts) with one JSON argument
 * (SimulatorProcessOptions); it talks over the IPC channel (SimulatorRequest / SimulatorReply).
 *
 * Rows are seeded without journal entries (`journalFraction: 0`): journal fields read "" without
 * display values, so the export never sees them, and skipping them halves the seeding
 * time of 1,000,000 incidents (about 10 s instead of 23 s on the 2-core bench machine).
 */
import { seedData } from '../../simulator/data/generator';
import type { FaultSource } from '../../simulator/faults';
import { startSimulator } from '../../simulator/index';
import type { SimulatorProcessOptions, SimulatorReply, SimulatorRequest } from './protocol';

const options = JSON.parse(process.argv[2] ?? '{}') as SimulatorProcessOptions;
const reply = (message: SimulatorReply) => process.send?.(message);

const started = performance.now();
const sim = await startSimulator({
  seed: options.seed,
  data: false,
  costDelayMicrosPerUnit: options.costDelayMicrosPerUnit ?? 0,
  // Nobody reads the request log here; keep it small so it does not grow the simulator's heap.
  requestLogLimit: 100,
  ...(options.maxConcurrentRequests === undefined
    ? {}
    : { maxConcurrentRequests: options.maxConcurrentRequests }),
});
seedData(sim.db, {
  seed: options.seed,
  incidents: options.incidents,
  problems: 0,
  changes: 0,
  users: 200,
  groups: 20,
  companies: 10,
  journalFraction: 0,
});

// Counted where the simulator decides a request's faults, so both sides' 429s are known exactly.
let rateLimited = 0;
const source = sim.faults as FaultSource;
const decide = source.next.bind(source);
source.next = (req) => {
  const faults = decide(req);
  if (faults.some((fault) => fault.kind === 'status' && fault.status === 429)) rateLimited += 1;
  return faults;
};

const countAll = (table: string) =>
  sim.db.query(table, { query: '', limit: 1, offset: 0, noCount: false }).total ?? 0;

const close = async () => {
  await sim.close();
  process.exit(0);
};

process.on('message', (raw) => {
  const message = raw as SimulatorRequest;
  switch (message.type) {
    case 'faults': {
      sim.faults.clear();
      if (message.latencyMs !== undefined && message.latencyMs > 0) {
        sim.faults.rate({ kind: 'latency', ms: message.latencyMs }, 1);
      }
      if (message.rateLimit !== undefined) {
        const { probability, retryAfterSeconds } = message.rateLimit;
        sim.faults.rate({ kind: 'status', status: 429, retryAfterSeconds }, probability);
      }
      rateLimited = 0;
      reply({ type: 'ok' });
      return;
    }
    case 'stats':
      reply({ type: 'stats', rows: countAll(message.table), rateLimited });
      return;
    case 'close':
      void close();
      return;
  }
});
process.on('disconnect', () => void close());

reply({ type: 'ready', url: sim.url, seedMs: performance.now() - started });
