/**
 * Dispatcher tests: a real webhook receiver (node:http on 127.0.0.1, the only allow-listed host:port),
 * the local queue with a visibility timeout, redrive to a DLQ and a manual clock, and the real instance
 * store (state table + encrypted secret store in a temp dir) read through `createDispatcherHandler`.
 */
import { createDispatcherHandler } from '../../functions/events/handlers';
import type { Dependencies } from '../../functions/runtime/dependencies';
import {
  createLocalQueue,
  createLocalSecretStore,
  createLocalStateTable,
  type LocalQueue,
  type LocalStateTable,
} from '../../shared/adapters/local';
import {
  createEventLog,
  type DispatchLogger,
  type EventLog,
  type EventMessage,
  eventIdFor,
  toOutgoing,
} from '../../shared/events';
import {
  createInstanceStore,
  type InstanceRecord,
  type InstanceStore,
  instanceSecretName,
} from '../../shared/instances';
import { type AllowedHosts, parseAllowedHosts } from '../../shared/net';
import type { BatchResponse, QueueEvent } from '../../shared/ports';
import { ManualClock } from '../adapters/fakes/manual-clock';
import { makeTempDir } from '../adapters/temp-dir';
import { type Receiver, startReceiver, until } from '../helpers/receiver';

export const VISIBILITY_MS = 30_000;
export const MAX_RECEIVES = 3;
export const TIMEOUT_MS = 300;

export interface DispatchHarness {
  receiver: Receiver;
  clock: ManualClock;
  queue: LocalQueue;
  dlq: LocalQueue;
  stateTable: LocalStateTable;
  store: InstanceStore;
  eventLog: EventLog;
  allowedHosts: AllowedHosts;
  /** Everything handed to the dispatcher's logger, serialized. */
  logs: string[];
  /** Handler calls finished so far, and their answers. */
  batches: BatchResponse[];
  createInstance(
    id: number,
    options?: { callbackUrl?: string; signatureKey?: string; enabled?: boolean; disabled?: boolean },
  ): Promise<InstanceRecord>;
  setCallbackUrl(id: number, callbackUrl: string): Promise<void>;
  /** A callback body as the poller queues it. */
  message(instanceId: number, tag: string, count?: number): EventMessage;
  send(...messages: EventMessage[]): Promise<void>;
  /** Wait until `n` handler calls have finished in total. */
  batchesDone(n: number): Promise<void>;
  /** Move past the visibility timeout so failed messages are received again. */
  nextVisibility(): Promise<void>;
  close(): Promise<void>;
}

export const startDispatchHarness = async (): Promise<DispatchHarness> => {
  const receiver = await startReceiver();
  const clock = new ManualClock(Date.UTC(2027, 2, 2, 10));
  const temp = await makeTempDir('dispatch');
  const stateTable = createLocalStateTable({ dataDir: temp.dir, now: () => clock.now() });
  const secretStore = createLocalSecretStore({ dataDir: temp.dir });
  const store = createInstanceStore({ stateTable, secretStore });
  const now = () => new Date(clock.now());
  const eventLog = createEventLog({ stateTable, now });
  // Only the receiver's own port: any other 127.0.0.1 port is a private address to the guard.
  const allowedHosts = parseAllowedHosts(`127.0.0.1:${receiver.port}`);
  const dlq = createLocalQueue({ name: 'events-dlq', clock });
  const queue = createLocalQueue({
    name: 'events',
    clock,
    visibilityTimeoutMs: VISIBILITY_MS,
    maxReceiveCount: MAX_RECEIVES,
    deadLetterQueue: dlq,
  });
  const logs: string[] = [];
  const logger: DispatchLogger = {
    info: (message, fields) => logs.push(JSON.stringify({ message, ...fields })),
    warn: (message, fields) => logs.push(JSON.stringify({ message, ...fields })),
  };
  const deps: Dependencies = { mode: 'local', stateTable, secretStore, allowedHosts, now };
  const dispatch = createDispatcherHandler(deps, {
    maxReceiveCount: MAX_RECEIVES,
    timeoutMs: TIMEOUT_MS,
    logger,
  });
  const batches: BatchResponse[] = [];
  queue.subscribe(async (event: QueueEvent) => {
    const response = await dispatch(event);
    batches.push(response);
    return response;
  });

  const harness: DispatchHarness = {
    receiver,
    clock,
    queue,
    dlq,
    stateTable,
    store,
    eventLog,
    allowedHosts,
    logs,
    batches,
    async createInstance(id, options = {}) {
      const at = now().toISOString();
      const record: InstanceRecord = {
        id,
        name: `instance ${id}`,
        elementKey: 'servicenow',
        ownerUserId: 'user-1',
        tags: [],
        configuration: {
          'event.notification.enabled': String(options.enabled ?? true),
          'event.notification.callback.url': options.callbackUrl ?? `${receiver.url}/hooks/${id}`,
        },
        secretName: instanceSecretName(id),
        valid: true,
        disabled: options.disabled ?? false,
        eventsEnabled: options.enabled ?? true,
        createdDate: at,
        updatedDate: at,
      };
      const created = await store.create(record);
      await store.saveSecret(record, {
        token: `token-${id}`,
        auth: { type: 'basic', username: 'admin', password: 'admin-password' },
        ...(options.signatureKey === undefined
          ? {}
          : { configuration: { 'event.notification.signature.key': options.signatureKey } }),
      });
      return created;
    },
    async setCallbackUrl(id, callbackUrl) {
      const record = await store.get(id);
      if (!record) throw new Error(`no instance ${id}`);
      await store.patch(id, {
        configuration: { ...record.configuration, 'event.notification.callback.url': callbackUrl },
      });
    },
    message(instanceId, tag, count = 2) {
      const keys = Array.from({ length: count }, (_, i) => `${tag}|${i}`);
      const records = keys.map((key, i) => ({
        sys_id: `${tag}${i}`.padEnd(32, '0'),
        number: `INC${i}`,
        key,
      }));
      return {
        message: {
          eventId: eventIdFor(instanceId, keys),
          instanceId,
          elementKey: 'servicenow',
          events: records.map((record) => ({
            objectType: 'incidents',
            objectId: record.sys_id,
            eventType: 'UPDATED' as const,
            elementKey: 'servicenow',
            date: '2027-03-02T10:00:00Z',
          })),
          raw: { objectType: 'incidents', incidents: records },
        },
      };
    },
    async send(...messages) {
      const { failed } = await queue.sendBatch(messages.map((m, i) => ({ ...toOutgoing(m), id: `m${i}` })));
      if (failed.length > 0) throw new Error('queue refused a message');
    },
    batchesDone(n) {
      return until(() => batches.length >= n, `${n} dispatcher batches`);
    },
    nextVisibility() {
      return clock.advance(VISIBILITY_MS);
    },
    async close() {
      await queue.close();
      await dlq.close();
      await receiver.close();
      await stateTable.close();
      await temp.cleanup();
    },
  };
  return harness;
};
