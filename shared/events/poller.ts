import { ElementError } from '../../shared/errors';
import {
  createEventLog,
  type EventMessage,
  type InstancePollSummary,
  parseEventsConfig,
  pollInstance,
  withCommonResources,
} from '../../shared/events';
import { eventsPartition } from '../../shared/events/checkpoint';
import { claimDue, dueInstances, reschedule, unschedule } from '../../shared/events/schedule';
import {
  createInstanceStore,
  fullConfiguration,
  type InstanceDeps,
  type InstanceRecord,
  reauthorizeMessage,
  serviceNowClientFor,
} from '../../shared/instances';
import { createLogger } from '../../shared/logging';
import type { QueueProducer } from '../../shared/ports';
import { awsEventsQueue, awsSecretStore, awsStateTable } from '../runtime/aws-ports';
import { type AwsPorts, getDependencies } from '../runtime/dependencies';

/** The AWS adapters this function uses (functions/runtime/aws-ports.ts); nothing else is bundled. */
const AWS_PORTS: AwsPorts = {
  stateTable: awsStateTable,
  secretStore: awsSecretStore,
  eventsQueue: awsEventsQueue,
};

/**
 * The events poller (scheduled every minute): reads the due-time index (shared/events/schedule.ts, a
 * GSI query, never a scan), claims each due instance, polls it with `pollInstance`, and reschedules it
 * by its `event.poller.refresh_interval`, after failures too. Instances are polled a few at a time, each
 * within its own time budget, so one instance with bad credentials, 429s or a slow ServiceNow does not
 * hold up the others; its error is stored in its `EVENTS#<id>` / `STATUS` item and logged.
 */
export interface PollerDeps extends InstanceDeps {
  eventsQueue?: QueueProducer;
}

export interface PollerOptions {
  /** Instances polled at once (default 4). */
  concurrency?: number;
  /** Instances taken per run (default 200); the rest stay due for the next run. */
  maxInstances?: number;
  /** Per-instance budget (default 120 s): past it the run moves on; the poll resumes from its checkpoint. */
  instanceBudgetMs?: number;
  /** How long a claimed instance stays out of the index if this run dies (default 15 min). */
  leaseMs?: number;
}

export interface PollerRun {
  polled: InstancePollSummary[];
  skipped: number[];
}

const DEFAULTS = { concurrency: 4, maxInstances: 200, instanceBudgetMs: 120_000, leaseMs: 15 * 60_000 };
const MINUTE_MS = 60_000;

const logger = createLogger({ serviceName: 'events-poller' });

/** Not polled (instance disabled, invalid, unreadable configuration): recorded like a poll error. */
const failedSummary = (instanceId: number, error: unknown): InstancePollSummary => ({
  instanceId,
  queued: 0,
  streams: [],
  errors: [
    error instanceof ElementError
      ? { stream: 'INSTANCE', status: error.status, message: error.message }
      : { stream: 'INSTANCE', message: error instanceof Error ? error.message : String(error) },
  ],
});

const writeStatus = (deps: PollerDeps, summary: InstancePollSummary, at: Date) =>
  deps.stateTable.put({
    pk: eventsPartition(summary.instanceId),
    sk: 'STATUS',
    lastPollAt: at.toISOString(),
    queued: summary.queued,
    errors: summary.errors.map((e) => ({ stream: e.stream, message: e.message, status: e.status ?? null })),
  });

/** QUEUED log entries (with the body, for redelivery) as soon as the queue accepted the messages. */
const recordQueued = async (deps: PollerDeps, messages: EventMessage[]) => {
  const log = createEventLog({ stateTable: deps.stateTable, now: deps.now });
  await Promise.all(
    messages.map((m) =>
      log.recordQueued({
        instanceId: m.message.instanceId,
        eventId: m.message.eventId,
        objectType: m.message.raw.objectType,
        eventCount: m.message.events.length,
        body: JSON.stringify(m),
      }),
    ),
  );
};

const withBudget = <T>(work: Promise<T>, ms: number, instanceId: number): Promise<T> => {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new ElementError(
            504,
            `Polling instance ${instanceId} exceeded its ${Math.round(ms / 1000)} s budget; it resumes from its checkpoints next time`,
          ),
        ),
      ms,
    );
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
};

/**
 * Polls one instance now (the scheduled run and `POST /instances/{id}/events/poll` both use this).
 * Throws 409 when events are not enabled and 503 when there is no events queue; failures of the poll
 * itself come back in `errors` (and in the STATUS item).
 */
export const pollInstanceNow = async (
  deps: PollerDeps,
  record: InstanceRecord,
  options: Pick<PollerOptions, 'instanceBudgetMs'> = {},
): Promise<{ summary: InstancePollSummary; refreshIntervalMinutes?: number }> => {
  if (!record.eventsEnabled) {
    throw new ElementError(
      409,
      `Events are not enabled on instance ${record.id} (event.notification.enabled)`,
    );
  }
  const queue = deps.eventsQueue;
  if (!queue) throw new ElementError(503, 'This deployment has no events queue (ELEMENT_EVENTS_QUEUE_URL)');
  const now = deps.now();
  let refreshIntervalMinutes: number | undefined;
  try {
    if (record.disabled) throw new ElementError(403, `Instance ${record.id} is disabled`);
    if (!record.valid) throw new ElementError(401, reauthorizeMessage(record.id));
    const secret = await createInstanceStore(deps).loadSecret(record);
    // The stored configuration is read at every poll: a PATCH of event.* keys applies to the next one.
    const config = parseEventsConfig(fullConfiguration(record, secret));
    refreshIntervalMinutes = config.refreshIntervalMinutes;
    const work = (async () => {
      const client = await serviceNowClientFor(record, deps);
      // Common resources (transformations) poll their ServiceNow table and map each record.
      const resources = await withCommonResources(deps.stateTable, record, config.resources);
      return pollInstance(
        {
          client,
          queue,
          stateTable: deps.stateTable,
          instance: { id: record.id, elementKey: record.elementKey },
          enabledAt: new Date(record.eventsEnabledAt ?? record.updatedDate),
          now,
          onQueued: (messages) => recordQueued(deps, messages),
        },
        { resources },
      );
    })();
    const summary = await withBudget(work, options.instanceBudgetMs ?? DEFAULTS.instanceBudgetMs, record.id);
    return { summary, refreshIntervalMinutes };
  } catch (error) {
    const summary = failedSummary(record.id, error);
    await writeStatus(deps, summary, now).catch(() => undefined);
    return { summary, ...(refreshIntervalMinutes === undefined ? {} : { refreshIntervalMinutes }) };
  }
};

const runPool = async <T>(items: T[], concurrency: number, work: (item: T) => Promise<void>) => {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
};

/** One scheduled run: every due instance, polled and rescheduled. */
export const runPoller = async (deps: PollerDeps, options: PollerOptions = {}): Promise<PollerRun> => {
  const settings = { ...DEFAULTS, ...options };
  const store = createInstanceStore(deps);
  const due = await dueInstances(deps.stateTable, deps.now(), settings.maxInstances);
  const run: PollerRun = { polled: [], skipped: [] };
  await runPool(due, settings.concurrency, async (entry) => {
    const id = entry.instanceId;
    try {
      if (!(await claimDue(deps.stateTable, entry, new Date(deps.now().getTime() + settings.leaseMs)))) {
        run.skipped.push(id); // another poller took it
        return;
      }
      const record = await store.get(id);
      if (!record?.eventsEnabled) {
        // Deleted or disabled meanwhile (a reschedule may have raced the disable): drop the index item.
        await unschedule(deps.stateTable, id);
        run.skipped.push(id);
        return;
      }
      const { summary, refreshIntervalMinutes } = await pollInstanceNow(deps, record, settings);
      run.polled.push(summary);
      if (summary.errors.length > 0)
        logger.warn('Events poll had errors', { instanceId: id, errors: summary.errors });
      const interval = (refreshIntervalMinutes ?? 15) * MINUTE_MS;
      await reschedule(deps.stateTable, id, new Date(deps.now().getTime() + interval));
    } catch (error) {
      // Index or table trouble for this instance only; its lease makes it due again later.
      logger.error('Events poll failed', { instanceId: id, error });
      run.polled.push(failedSummary(id, error));
    }
  });
  return run;
};

/** EventBridge scheduled rule target; the event itself carries nothing we need. */
export const handler = async (): Promise<{ polled: number; queued: number; failed: number }> => {
  const deps = await getDependencies(AWS_PORTS);
  const run = await runPoller(deps);
  return {
    polled: run.polled.length,
    queued: run.polled.reduce((sum, s) => sum + s.queued, 0),
    failed: run.polled.filter((s) => s.errors.length > 0).length,
  };
};
