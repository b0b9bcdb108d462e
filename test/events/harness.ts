/**
 * Events tests: the simulator over loopback HTTP, the ServiceNow client, a local queue we only peek at,
 * and a local state table in a temp dir. Records are written straight into the simulator's database
 * (the changes the poller must discover), on a frozen simulator clock so that many share one second.
 */
import {
  createLocalQueue,
  createLocalStateTable,
  type LocalQueue,
  type LocalStateTable,
} from '../../shared/adapters/local';
import {
  type EventMessage,
  type EventsConfig,
  type PollInstanceDeps,
  parseEventsConfig,
} from '../../shared/events';
import type { OutgoingMessage, QueueProducer, StateTable } from '../../shared/ports';
import { makeTempDir } from '../adapters/temp-dir';
import { clientFor } from '../servicenow/helpers/fake-server';
import { type SimRecord, type SimulatorHandle, startSimulator } from '../simulator';
import { prng } from '../simulator/faults';

export const T0 = new Date('2027-03-02T10:00:00Z');
export const WRITER = { userName: 'admin' };

export interface EventsHarness {
  sim: SimulatorHandle;
  client: ReturnType<typeof clientFor>;
  queue: LocalQueue;
  stateTable: LocalStateTable;
  /** Poll dependencies; override `queue` / `stateTable` to inject failures. */
  deps(overrides?: Partial<PollInstanceDeps>): PollInstanceDeps;
  /** Every callback body queued so far. */
  messages(): EventMessage[];
  enabledAt: Date;
  close(): Promise<void>;
}

export const configFor = (poller: Record<string, unknown> | undefined): EventsConfig =>
  parseEventsConfig({
    'event.notification.enabled': 'true',
    'event.notification.callback.url': 'https://consumer.example/events',
    ...(poller === undefined ? {} : { 'event.poller.configuration': JSON.stringify(poller) }),
  });

export const startEventsHarness = async (): Promise<EventsHarness> => {
  const sim = await startSimulator({ data: false });
  sim.clock.set(T0);
  sim.clock.freeze();
  const client = clientFor(sim.url, { timeoutMs: 10_000 });
  const temp = await makeTempDir('events');
  const stateTable = createLocalStateTable({ dataDir: temp.dir });
  const queue = createLocalQueue({ name: 'events', maxMessageBytes: 1024 * 1024 });
  const harness: EventsHarness = {
    sim,
    client,
    queue,
    stateTable,
    enabledAt: T0,
    deps: (overrides = {}) => ({
      client,
      queue,
      stateTable,
      instance: { id: 42, elementKey: 'servicenow' },
      enabledAt: harness.enabledAt,
      now: sim.clock.now(),
      sleep: async () => {},
      ...overrides,
    }),
    messages: () => queue.peek().map((m) => JSON.parse(m.body) as EventMessage),
    close: async () => {
      await queue.close();
      await stateTable.close();
      await client.agent.close();
      await sim.close();
      await temp.cleanup();
    },
  };
  return harness;
};

/** Moves the simulator clock on by whole seconds (it stays frozen). */
export const tick = (sim: SimulatorHandle, seconds = 1) => sim.clock.advance(seconds * 1000);

export const insert = (sim: SimulatorHandle, table: string, values: SimRecord) =>
  sim.db.insert(table, values, WRITER);

/** Flattens queued messages into (objectType, objectId, eventType, sys_mod_count) tuples. */
export const eventsOf = (messages: EventMessage[]) =>
  messages.flatMap(({ message }) =>
    message.events.map((event, i) => {
      const raw = (message.raw[message.raw.objectType] as Record<string, string>[])[i] ?? {};
      return { ...event, mod: raw.sys_mod_count ?? '' };
    }),
  );

/** A queue producer that refuses each message with probability `p` (seeded), like SQS partial failures. */
export const flakyQueue = (inner: QueueProducer, p: number, seed = 7) => {
  const random = prng(seed);
  const stats = { refused: 0, calls: 0 };
  const producer: QueueProducer = {
    async sendBatch(messages: OutgoingMessage[]) {
      stats.calls++;
      const accepted: OutgoingMessage[] = [];
      const failed = [];
      for (const message of messages) {
        if (random() < p) {
          stats.refused++;
          failed.push({ id: message.id, code: 'InternalError', message: 'injected' });
        } else accepted.push(message);
      }
      const result = await inner.sendBatch(accepted);
      return { failed: [...failed, ...result.failed] };
    },
  };
  return { producer, stats };
};

/** A state table whose next `update` throws after `afterUpdates` successful ones (a poller crash). */
export const crashingStateTable = (inner: StateTable, afterUpdates: number): StateTable => {
  let updates = 0;
  return {
    get: (key) => inner.get(key),
    put: (item, options) => inner.put(item, options),
    delete: (key, options) => inner.delete(key, options),
    query: (input) => inner.query(input),
    acquireLease: (key, request) => inner.acquireLease(key, request),
    releaseLease: (key, holder) => inner.releaseLease(key, holder),
    update: async (key, set, options) => {
      if (updates++ >= afterUpdates) throw new Error('crash: the poller died before saving its checkpoint');
      return inner.update(key, set, options);
    },
  };
};
