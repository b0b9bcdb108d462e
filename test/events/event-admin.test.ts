/**
 * The event-log admin API through real HTTP: local server + simulator + the local queue (short
 * visibility, redrive to a DLQ after 3 receives) drained by the real dispatcher + a webhook receiver.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDispatcherHandler } from '../../functions/events/handlers';
import { createLocalQueue, type LocalQueue } from '../../shared/adapters/local';
import { createEventLog, type DispatchLogger, type EventLog } from '../../shared/events';
import type { OutgoingMessage } from '../../shared/ports';
import { type ElementStack, startElementStack } from '../helpers/element-stack';
import { type Receiver, startReceiver, until } from '../helpers/receiver';
import { ALICE, aliceAuth, BOB, basicBody, bobAuth, ORG } from '../instances/harness';
import type { SimUser } from '../simulator';

const MAX_RECEIVES = 3;
const silent: DispatchLogger = { info: () => undefined, warn: () => undefined };

interface Reply {
  status: number;
  /** Elements-Next-Page-Token of a list. */
  nextPage: string | undefined;
  json: () => Record<string, unknown>;
  list: () => Record<string, unknown>[];
}

describe('event log admin API', () => {
  let stack: ElementStack;
  let receiver: Receiver;
  let queue: LocalQueue;
  let dlq: LocalQueue;
  let log: EventLog;
  let instanceId: number;
  let deadEventId: string;
  // Mutable: rotating a password makes the instance's stored credentials wrong.
  const simUsers: SimUser[] = [
    { userName: 'admin', password: 'admin', roles: ['admin'] },
    { userName: 'ops', password: 'ops', roles: ['admin'] },
  ];

  const call = async (method: string, path: string, auth = aliceAuth, body?: unknown): Promise<Reply> => {
    const res = await fetch(`${stack.server.url}${path}`, {
      method,
      headers: { Authorization: auth, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return {
      status: res.status,
      nextPage: res.headers.get('elements-next-page-token') ?? undefined,
      json: () => JSON.parse(text) as Record<string, unknown>,
      list: () => JSON.parse(text) as Record<string, unknown>[],
    };
  };

  const createInstance = async (overrides: Record<string, unknown>): Promise<number> => {
    const created = await call(
      'POST',
      '/instances',
      aliceAuth,
      basicBody(stack.sim, {
        'event.notification.enabled': true,
        'event.notification.callback.url': `${receiver.url}/hooks`,
        'event.poller.configuration': { incidents: {} },
        ...overrides,
      }),
    );
    expect(created.status).toBe(200);
    return created.json().id as number;
  };

  const addIncident = async (description: string) => {
    const res = await fetch(`${stack.sim.url}/api/now/table/incident`, {
      method: 'POST',
      headers: {
        Authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}`,
        'Content-Type': 'application/json',
        Accept: 'application/json',
      },
      body: JSON.stringify({ short_description: description }),
    });
    expect(res.status).toBe(201);
  };

  const eventOf = async (eventId: string) =>
    (await call('GET', `/instances/${instanceId}/events/${eventId}`)).json();

  beforeAll(async () => {
    stack = await startElementStack({
      label: 'event-admin',
      organizationSecret: ORG,
      userSecrets: `alice:${ALICE},bob:${BOB}`,
      simulator: { users: simUsers },
      logLevel: 'SILENT',
    });
    receiver = await startReceiver();
    dlq = createLocalQueue({ name: 'events-dlq' });
    queue = createLocalQueue({
      name: 'events',
      visibilityTimeoutMs: 50,
      maxReceiveCount: MAX_RECEIVES,
      deadLetterQueue: dlq,
    });
    // The same object the server's handlers read through getDependencies().
    stack.deps.eventsQueue = queue;
    queue.subscribe(
      createDispatcherHandler(stack.deps, {
        maxReceiveCount: MAX_RECEIVES,
        timeoutMs: 2_000,
        logger: silent,
      }),
    );
    log = createEventLog({ stateTable: stack.deps.stateTable, now: stack.deps.now });
    instanceId = await createInstance({});
  });

  afterAll(async () => {
    await queue?.close();
    await dlq?.close();
    await receiver?.close();
    await stack?.close();
  });

  it('shows a callback that always fails as DEAD with its attempts, then redelivers it once fixed', async () => {
    receiver.script('/hooks', ...Array.from({ length: MAX_RECEIVES }, () => ({ status: 500 })));
    await addIncident('never delivered at first');
    const polled = await call('POST', `/instances/${instanceId}/events/poll`);
    expect(polled.status).toBe(200);
    expect(polled.json().queued).toBe(1);

    let listed: Record<string, unknown>[] = [];
    for (let i = 0; i < 400; i++) {
      listed = (await call('GET', `/instances/${instanceId}/events?status=DEAD`)).list();
      // DEAD already while the last attempt runs (so a crash during it stays recoverable): wait for its end.
      if (listed[0]?.attempts === MAX_RECEIVES) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(listed).toHaveLength(1);
    const dead = listed[0] as Record<string, unknown>;
    expect(dead).toMatchObject({
      id: dead.eventId,
      eventDate: dead.createdAt,
      status: 'DISPATCHED',
      providerData: JSON.stringify({ objectType: 'incidents', eventCount: 1 }),
      notifiedData: [],
      deliveryStatus: 'DEAD',
      attempts: MAX_RECEIVES,
      lastError: 'HTTP 500',
      objectType: 'incidents',
      eventCount: 1,
    });
    expect(Object.keys(dead).sort()).toEqual(
      [
        'id',
        'eventDate',
        'status',
        'providerData',
        'notifiedData',
        'deliveryStatus',
        'attempts',
        'createdAt',
        'eventCount',
        'eventId',
        'lastError',
        'lastStatusCode',
        'objectType',
        'updatedAt',
      ].sort(),
    );
    deadEventId = String(dead.eventId);
    expect(await eventOf(deadEventId)).toEqual(dead);
    await until(() => dlq.peek().length === 1, 'the message in the DLQ');

    // The receiver answers 200 from now on: redeliver from the log.
    const redelivered = await call('POST', `/instances/${instanceId}/events/${deadEventId}/redeliver`);
    expect(redelivered.status).toBe(202);
    expect(redelivered.json()).toEqual({ eventId: deadEventId, status: 'QUEUED' });
    for (let i = 0; i < 400 && (await eventOf(deadEventId)).deliveryStatus !== 'DELIVERED'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const delivered = await eventOf(deadEventId);
    expect(delivered).toMatchObject({
      status: 'NOTIFIED',
      deliveryStatus: 'DELIVERED',
      attempts: MAX_RECEIVES + 1,
      lastStatusCode: 200,
      notifiedData: [{ notifiedDate: expect.any(String), statusCode: 200 }],
    });
    expect(delivered.lastError).toBeUndefined();
    const posts = receiver.on('/hooks');
    expect(posts).toHaveLength(MAX_RECEIVES + 1);
    expect(new Set(posts.map((p) => p.body)).size).toBe(1); // the same bytes every time
    expect(posts.every((p) => p.headers['elements-webhook-id'] === deadEventId)).toBe(true);

    // A delivered event can be sent again (the consumer lost it); its attempts keep counting.
    expect((await call('POST', `/instances/${instanceId}/events/${deadEventId}/redeliver`)).status).toBe(202);
    await until(() => receiver.on('/hooks').length === MAX_RECEIVES + 2, 'the second redelivery');
    for (let i = 0; i < 400 && (await eventOf(deadEventId)).attempts !== MAX_RECEIVES + 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(await eventOf(deadEventId)).toMatchObject({
      deliveryStatus: 'DELIVERED',
      attempts: MAX_RECEIVES + 2,
    });
  });

  it('refuses to redeliver an event still on the queue, one without a stored body, or an unknown one', async () => {
    await log.recordAttempt({
      instanceId,
      eventId: 'retrying',
      status: 'FAILED',
      error: 'HTTP 503',
      objectType: 'incidents',
      eventCount: 1,
    });
    const busy = await call('POST', `/instances/${instanceId}/events/retrying/redeliver`);
    expect(busy.status).toBe(409);
    expect(busy.json().message).toMatch(/FAILED.*still on the queue/);

    await log.recordAttempt({
      instanceId,
      eventId: 'huge',
      status: 'DEAD',
      error: 'HTTP 500',
      objectType: 'incidents',
      eventCount: 10,
    });
    const noBody = await call('POST', `/instances/${instanceId}/events/huge/redeliver`);
    expect(noBody.status).toBe(409);
    expect(noBody.json().message).toMatch(/no stored body.*redrive the dead-letter queue/);
    expect((await eventOf('huge')).deliveryStatus).toBe('DEAD');

    // The queue refuses the message: 503 and the entry is DEAD again, so it can be retried later.
    stack.deps.eventsQueue = {
      sendBatch: async (messages) => ({
        failed: messages.map((m) => ({ id: m.id, code: 'ServiceUnavailable', message: 'down' })),
      }),
    };
    try {
      const refused = await call('POST', `/instances/${instanceId}/events/${deadEventId}/redeliver`);
      expect(refused.status).toBe(503);
    } finally {
      stack.deps.eventsQueue = queue;
    }
    expect((await eventOf(deadEventId)).deliveryStatus).toBe('DELIVERED');

    expect((await call('GET', `/instances/${instanceId}/events/nope`)).status).toBe(404);
    expect((await call('POST', `/instances/${instanceId}/events/nope/redeliver`)).status).toBe(404);
  });

  it('lists a freshly polled event as QUEUED with no attempts, and will not redeliver it', async () => {
    // A queue that accepts and holds the message (no dispatcher), so QUEUED is not a race.
    const held: OutgoingMessage[] = [];
    stack.deps.eventsQueue = {
      sendBatch: async (messages) => {
        held.push(...messages);
        return { failed: [] };
      },
    };
    try {
      await addIncident('waiting on the queue');
      expect((await call('POST', `/instances/${instanceId}/events/poll`)).json().queued).toBe(1);
    } finally {
      stack.deps.eventsQueue = queue;
    }
    const queued = (await call('GET', `/instances/${instanceId}/events?status=QUEUED`)).list() as {
      eventId: string;
    }[];
    expect(queued).toEqual([
      expect.objectContaining({ status: 'DISPATCHED', deliveryStatus: 'QUEUED', attempts: 0, eventCount: 1 }),
    ]);
    expect(held.map((m) => m.attributes?.eventId)).toEqual([queued[0]?.eventId]);
    const busy = await call('POST', `/instances/${instanceId}/events/${queued[0]?.eventId}/redeliver`);
    expect(busy.status).toBe(409);
    expect(busy.json().message).toMatch(/QUEUED/);
  });

  it('pages newest first with an opaque, validated nextPage and filters by status', async () => {
    const other = await createInstance({ 'event.notification.enabled': false });
    const base = Date.parse('2030-01-01T00:00:00Z');
    for (let i = 0; i < 5; i++) {
      await log.recordAttempt({
        instanceId: other,
        eventId: `e${i}`,
        status: i % 2 === 0 ? 'DELIVERED' : 'DEAD',
        objectType: 'incidents',
        eventCount: 1,
        queuedAt: new Date(base + i * 1000),
      });
    }
    const first = await call('GET', `/instances/${other}/events?pageSize=2`);
    expect(first.list().map((e) => e.id)).toEqual(['e4', 'e3']);
    expect(typeof first.nextPage).toBe('string');
    const seen = first.list().map((e) => e.id);
    let next = first.nextPage;
    while (next !== undefined) {
      const page = await call('GET', `/instances/${other}/events?pageSize=2&nextPage=${next}`);
      seen.push(...page.list().map((e) => e.id));
      next = page.nextPage;
    }
    expect(seen).toEqual(['e4', 'e3', 'e2', 'e1', 'e0']);

    const dead = (await call('GET', `/instances/${other}/events?status=dead`)).list();
    expect(dead.map((e) => [e.id, e.deliveryStatus])).toEqual([
      ['e3', 'DEAD'],
      ['e1', 'DEAD'],
    ]);
    const notified = (await call('GET', `/instances/${other}/events?status=NOTIFIED`)).list();
    expect(notified.map((e) => [e.id, e.status])).toEqual([
      ['e4', 'NOTIFIED'],
      ['e2', 'NOTIFIED'],
      ['e0', 'NOTIFIED'],
    ]);

    // A cursor only works for the instance and filter it was issued for.
    const cursor = first.nextPage as string;
    expect(
      (await call('GET', `/instances/${other}/events?pageSize=2&status=DEAD&nextPage=${cursor}`)).status,
    ).toBe(400);
    expect((await call('GET', `/instances/${instanceId}/events?pageSize=2&nextPage=${cursor}`)).status).toBe(
      400,
    );
    expect((await call('GET', `/instances/${other}/events?nextPage=garbage`)).status).toBe(400);
    expect((await call('GET', `/instances/${other}/events?status=LOST`)).status).toBe(400);
    expect((await call('GET', `/instances/${other}/events?pageSize=0`)).status).toBe(400);
  });

  it("answers 404 for another user's instance on every event route", async () => {
    for (const [method, path] of [
      ['GET', `/instances/${instanceId}/events`],
      ['GET', `/instances/${instanceId}/events/status`],
      ['GET', `/instances/${instanceId}/events/${deadEventId}`],
      ['POST', `/instances/${instanceId}/events/${deadEventId}/redeliver`],
    ] as const) {
      expect((await call(method, path, bobAuth)).status, `${method} ${path}`).toBe(404);
    }
  });

  it('shows the last poll and a recorded poll error (bad credentials) on the status route', async () => {
    const ok = (await call('GET', `/instances/${instanceId}/events/status`)).json();
    expect(ok).toMatchObject({ instanceId, errors: [], deletes: { readable: true } });
    expect(typeof ok.lastPollAt).toBe('string');
    // How far behind: now minus the oldest checkpoint of the followed resources.
    const { checkpoints, lagSeconds } = ok as { checkpoints: { checkpoint: string }[]; lagSeconds: number };
    expect(checkpoints.length).toBeGreaterThan(0);
    for (const entry of checkpoints)
      expect(entry.checkpoint).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(lagSeconds).toBeGreaterThanOrEqual(0);

    const broken = await createInstance({ username: 'ops', password: 'ops' });
    const never = (await call('GET', `/instances/${broken}/events/status`)).json();
    expect(never).toEqual({ instanceId: broken, errors: [], checkpoints: [] });
    (simUsers[1] as SimUser).password = 'rotated';
    expect((await call('POST', `/instances/${broken}/events/poll`)).status).toBe(200);
    const status = (await call('GET', `/instances/${broken}/events/status`)).json();
    expect(status.lastPollAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    const errors = status.errors as { stream: string; message: string; status?: number }[];
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]?.status).toBe(401);
    expect(JSON.stringify(status)).not.toContain('rotated');
  });
});
