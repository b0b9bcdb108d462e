import { ConflictError, ElementError, TimedOutError, UnavailableError } from '../errors';
import { recordInstancePoll } from '../metrics';
import type { QueueProducer, StateTable } from '../ports';
import { mapBounded } from '../resilience';
import type { ServiceNowClient } from '../servicenow';
import { eventsPartition } from './checkpoint';
import { withCommonResources } from './common-resources';
import { parseEventsConfig } from './configuration';
import { createEventLog } from './event-log';
import type { EventMessage } from './messages';
import { type InstancePollSummary, pollInstance } from './poll';
import { claimDue, dueInstances, reschedule, scheduleKey, unschedule } from './schedule';
import { sendWithRetry } from './send';

/**
 * The events poller in two steps, so the work fans out over a queue:
 * 1. `scheduleDuePolls` (the scheduled run): reads the due-time index (a GSI query, never a scan), claims
 *    each due instance with a lease and sends one poll message per claimed instance to the poll queue;
 * 2. `pollClaimed` (the poll worker, once per message): polls the instance with `pollInstance` and
 *    reschedules it by its `event.poller.refresh_interval`, after failures too.
 * Checkpoints make a poll resumable: a worker that dies leaves the message to come back (or the lease to
 * end), and the next poll continues where the last saved checkpoint stands. A message whose claim is no
 * longer the schedule's (polled since, or claimed again after its lease ended) is skipped, so a
 * duplicate message never polls twice.
 */

/** The instance facts the poller reads (an instance record has them all). */
export interface EventsInstance {
  id: number;
  elementKey: string;
  ownerUserId: string;
  eventsEnabled: boolean;
  eventsEnabledAt?: string;
  updatedDate: string;
}

/**
 * How the poller reaches instances: implemented by shared/instances (`eventsInstanceAccess`) so the events
 * capability does not import the instances capability.
 */
export interface EventsInstanceAccess {
  get(instanceId: number): Promise<EventsInstance | undefined>;
  /**
   * The stored configuration without its secret keys (polling needs none of them, so a poll reads no
   * secret; the ServiceNow client keeps the credentials it was built with), read at every poll so a
   * PATCH of event.* keys applies to the next one. Throws an ElementError when the instance cannot be
   * polled (disabled, credentials to re-authorize).
   */
  configuration(instance: EventsInstance): Promise<Record<string, string>>;
  serviceNowClient(instance: EventsInstance): Promise<ServiceNowClient>;
}

export interface PollerDeps {
  stateTable: StateTable;
  now: () => Date;
  instances: EventsInstanceAccess;
  /** Where the callback messages go. */
  eventsQueue?: QueueProducer;
}

export interface PollerOptions {
  /** Per-instance budget (default 120 s): past it the poll stops; it resumes from its checkpoint. */
  instanceBudgetMs?: number;
  /** How long a claimed instance stays out of the index if its poll never ends (default 15 min). */
  leaseMs?: number;
  /** Instances claimed per scheduled run (default 10,000); the rest stay due for the next run. */
  maxInstances?: number;
  /** Claims in flight at once during a scheduled run (default 16). */
  claimConcurrency?: number;
}

export const POLLER_DEFAULTS = {
  instanceBudgetMs: 120_000,
  leaseMs: 15 * 60_000,
  maxInstances: 10_000,
  claimConcurrency: 16,
} as const;

const MINUTE_MS = 60_000;
/** The next poll of an instance whose configuration could not be read. */
const DEFAULT_REFRESH_MINUTES = 15;

/** One poll message: the instance and the lease its claim set (`dueAt` of its schedule item). */
export interface PollRequest {
  instanceId: number;
  claim: string;
  /** When the instance was due before the claim (ISO 8601): its poll lag is measured from it. */
  dueAt?: string;
}

export const pollRequestBody = (request: PollRequest): string => JSON.stringify(request);

/** The request in a poll message, or undefined when the body is not one. */
export const parsePollRequest = (body: string): PollRequest | undefined => {
  try {
    const value = JSON.parse(body) as Partial<PollRequest>;
    if (Number.isSafeInteger(value.instanceId) && typeof value.claim === 'string') {
      return {
        instanceId: value.instanceId as number,
        claim: value.claim,
        ...(typeof value.dueAt === 'string' ? { dueAt: value.dueAt } : {}),
      };
    }
  } catch {
    // not JSON: unreadable, like a wrong shape
  }
  return undefined;
};

export type PollOutcome =
  | { kind: 'polled'; summary: InstancePollSummary }
  | { kind: 'skipped'; instanceId: number; reason: 'stale claim' | 'events disabled' | 'not scheduled' };

/** Not polled (instance disabled, invalid, unreadable configuration): recorded like a poll error. */
export const failedSummary = (instanceId: number, error: unknown): InstancePollSummary => ({
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
          new TimedOutError(
            `Polling instance ${instanceId} exceeded its ${Math.round(ms / 1000)} s budget; it resumes from its checkpoints next time`,
          ),
        ),
      ms,
    );
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
};

/**
 * Polls one instance now (the poll worker and `POST /instances/{id}/events/poll` both use this).
 * Throws 409 when events are not enabled and 503 when there is no events queue; failures of the poll
 * itself come back in `errors` (and in the STATUS item).
 */
export const pollInstanceNow = async (
  deps: PollerDeps,
  record: EventsInstance,
  options: Pick<PollerOptions, 'instanceBudgetMs'> & {
    /**
     * The poll worker's next-due write: made before this resolves (or this throws), together with the
     * STATUS write so the two cost one round trip. Gets the refresh interval (default 15 min when the
     * configuration could not be read).
     */
    reschedule?: (refreshIntervalMinutes: number) => Promise<void>;
  } = {},
): Promise<{ summary: InstancePollSummary; refreshIntervalMinutes?: number }> => {
  if (!record.eventsEnabled) {
    throw new ConflictError(`Events are not enabled on instance ${record.id} (event.notification.enabled)`);
  }
  const queue = deps.eventsQueue;
  if (!queue) throw new UnavailableError('This deployment has no events queue (ELEMENT_EVENTS_QUEUE_URL)');
  const now = deps.now();
  let refreshIntervalMinutes: number | undefined;
  let rescheduled = false;
  let overBudget = false;
  const rescheduleOnce = async (minutes: number) => {
    // A poll still running past its budget leaves the next due time to the failure path below.
    if (!options.reschedule || rescheduled || overBudget) return;
    await options.reschedule(minutes);
    rescheduled = true;
  };
  try {
    const config = parseEventsConfig(await deps.instances.configuration(record));
    refreshIntervalMinutes = config.refreshIntervalMinutes;
    const work = (async () => {
      const client = await deps.instances.serviceNowClient(record);
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
          alongsideStatus: () => rescheduleOnce(config.refreshIntervalMinutes),
        },
        { resources },
      );
    })();
    const budget = options.instanceBudgetMs ?? POLLER_DEFAULTS.instanceBudgetMs;
    return { summary: await withBudget(work, budget, record.id), refreshIntervalMinutes };
  } catch (error) {
    overBudget = error instanceof TimedOutError;
    const summary = failedSummary(record.id, error);
    await Promise.all([
      writeStatus(deps, summary, now).catch(() => undefined),
      rescheduled ? undefined : options.reschedule?.(refreshIntervalMinutes ?? DEFAULT_REFRESH_MINUTES),
    ]);
    return { summary, ...(refreshIntervalMinutes === undefined ? {} : { refreshIntervalMinutes }) };
  }
};

/**
 * Claims the due instances (a conditional write each, so overlapping runs never claim one twice) and
 * returns the poll requests; instances another run took are listed in `skipped`.
 */
export const claimDueInstances = async (
  deps: Pick<PollerDeps, 'stateTable' | 'now'>,
  options: PollerOptions = {},
): Promise<{ claimed: PollRequest[]; skipped: number[] }> => {
  const settings = { ...POLLER_DEFAULTS, ...options };
  const due = await dueInstances(deps.stateTable, deps.now(), settings.maxInstances);
  const leaseUntil = new Date(deps.now().getTime() + settings.leaseMs);
  const taken = await mapBounded(due, settings.claimConcurrency, (entry) =>
    claimDue(deps.stateTable, entry, leaseUntil),
  );
  const claim = leaseUntil.toISOString();
  return {
    claimed: due
      .filter((_, i) => taken[i])
      .map((entry) => ({ instanceId: entry.instanceId, claim, dueAt: entry.dueAt })),
    skipped: due.filter((_, i) => !taken[i]).map((entry) => entry.instanceId),
  };
};

/**
 * The scheduled run: claims the due instances and sends one poll message each. An instance whose
 * message the queue refused (after `sendWithRetry`'s retries) is made due again at once.
 */
export const scheduleDuePolls = async (
  deps: Pick<PollerDeps, 'stateTable' | 'now'> & { pollQueue: QueueProducer },
  options: PollerOptions = {},
): Promise<{ queued: number; skipped: number; refused: number }> => {
  const settings = { ...POLLER_DEFAULTS, ...options };
  const { claimed, skipped } = await claimDueInstances(deps, options);
  const { accepted } = await sendWithRetry(
    { queue: deps.pollQueue, concurrency: settings.claimConcurrency },
    claimed.map((request) => ({
      body: pollRequestBody(request),
      attributes: { instanceId: String(request.instanceId) },
    })),
  );
  const refused = claimed.filter((_, i) => !accepted[i]);
  await mapBounded(refused, settings.claimConcurrency, (request) =>
    reschedule(deps.stateTable, request.instanceId, deps.now()),
  );
  return { queued: claimed.length - refused.length, skipped: skipped.length, refused: refused.length };
};

/**
 * One poll request: polls the instance if the claim is still the schedule's, then reschedules it.
 * Throws when the state table fails (the message comes back; the poll resumes from its checkpoints).
 */
export const pollClaimed = async (
  deps: PollerDeps,
  request: PollRequest,
  options: Pick<PollerOptions, 'instanceBudgetMs'> = {},
): Promise<PollOutcome> => {
  const id = request.instanceId;
  const schedule = await deps.stateTable.get(scheduleKey(id));
  if (schedule === undefined) return { kind: 'skipped', instanceId: id, reason: 'not scheduled' };
  if (schedule.dueAt !== request.claim) return { kind: 'skipped', instanceId: id, reason: 'stale claim' };
  const record = await deps.instances.get(id);
  if (!record?.eventsEnabled) {
    // Deleted or disabled meanwhile (a reschedule may have raced the disable): drop the index item.
    await unschedule(deps.stateTable, id);
    return { kind: 'skipped', instanceId: id, reason: 'events disabled' };
  }
  const startedAt = deps.now();
  const { summary, refreshIntervalMinutes } = await pollInstanceNow(deps, record, {
    ...options,
    reschedule: (minutes) =>
      reschedule(deps.stateTable, id, new Date(deps.now().getTime() + minutes * MINUTE_MS)),
  });
  if (request.dueAt !== undefined) {
    recordInstancePoll({
      instanceId: id,
      startedAt,
      dueAt: request.dueAt,
      refreshIntervalMinutes: refreshIntervalMinutes ?? DEFAULT_REFRESH_MINUTES,
      failed: summary.errors.length > 0,
    });
  }
  return { kind: 'polled', summary };
};

export interface PollerRun {
  polled: InstancePollSummary[];
  skipped: number[];
}

/**
 * Both steps in one process, without a queue: claims the due instances and polls them `concurrency`
 * at a time (default 4). Failures stay per instance; the lease makes a failed one due again later.
 */
export const runPoller = async (
  deps: PollerDeps,
  options: PollerOptions & { concurrency?: number } = {},
): Promise<PollerRun> => {
  const { claimed, skipped } = await claimDueInstances(deps, options);
  const run: PollerRun = { polled: [], skipped };
  await mapBounded(claimed, options.concurrency ?? 4, async (request) => {
    try {
      const outcome = await pollClaimed(deps, request, options);
      if (outcome.kind === 'polled') run.polled.push(outcome.summary);
      else run.skipped.push(outcome.instanceId);
    } catch (error) {
      run.polled.push(failedSummary(request.instanceId, error));
    }
  });
  return run;
};
