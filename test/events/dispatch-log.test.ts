import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalStateTable, type LocalStateTable } from '../../shared/adapters/local';
import { createEventLog, type EventLog, eventLogKey } from '../../shared/events';
import { makeTempDir } from '../adapters/temp-dir';

let table: LocalStateTable;
let log: EventLog;
let now: number;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  const temp = await makeTempDir('event-log');
  cleanup = temp.cleanup;
  now = Date.UTC(2027, 2, 2, 10);
  table = createLocalStateTable({ dataDir: temp.dir, now: () => now });
  log = createEventLog({ stateTable: table, now: () => new Date(now) });
});
afterEach(async () => {
  await table.close();
  await cleanup();
});

const queued = (instanceId: number, eventId: string) => ({
  instanceId,
  eventId,
  objectType: 'incidents',
  eventCount: 3,
});

describe('event log', () => {
  it('records QUEUED once, then counts attempts up to DELIVERED, keeping createdAt', async () => {
    await log.recordQueued(queued(1, 'e1'));
    now += 1_000;
    await log.recordQueued(queued(1, 'e1')); // a re-sent message keeps its history
    expect(await log.get(1, 'e1')).toMatchObject({
      status: 'QUEUED',
      attempts: 0,
      eventCount: 3,
      createdAt: '2027-03-02T10:00:00.000Z',
      updatedAt: '2027-03-02T10:00:00.000Z',
    });
    await log.recordAttempt({
      instanceId: 1,
      eventId: 'e1',
      status: 'FAILED',
      statusCode: 502,
      error: 'HTTP 502',
    });
    now += 30_000;
    const delivered = await log.recordAttempt({
      instanceId: 1,
      eventId: 'e1',
      status: 'DELIVERED',
      statusCode: 204,
    });
    expect(delivered).toMatchObject({
      status: 'DELIVERED',
      attempts: 2,
      lastStatusCode: 204,
      createdAt: '2027-03-02T10:00:00.000Z',
      deliveredAt: '2027-03-02T10:00:31.000Z',
    });
    expect(delivered.lastError).toBeUndefined();
    const item = await table.get(eventLogKey(1, 'e1'));
    expect(item?.expiresAt).toBe(Math.floor(now / 1000) + 14 * 86_400);
  });

  it('counts concurrent attempts of one message (at-least-once duplicates) and creates a missing item', async () => {
    await Promise.all(
      Array.from({ length: 3 }, () =>
        log.recordAttempt({
          instanceId: 1,
          eventId: 'e2',
          status: 'FAILED',
          error: 'timed out',
          objectType: 'problems',
        }),
      ),
    );
    expect(await log.get(1, 'e2')).toMatchObject({ status: 'FAILED', attempts: 3, objectType: 'problems' });
  });

  it('expires entries after the TTL', async () => {
    await log.recordQueued(queued(1, 'old'));
    now += 15 * 86_400_000;
    expect(await log.get(1, 'old')).toBeUndefined();
  });

  it('lists newest first, pages with a cursor and filters by status', async () => {
    for (let i = 0; i < 5; i++) {
      now += 1_000;
      await log.recordQueued(queued(7, `e${i}`));
    }
    await log.recordQueued(queued(8, 'other-instance'));
    await log.recordAttempt({ instanceId: 7, eventId: 'e1', status: 'DEAD', error: 'HTTP 500' });
    await log.recordAttempt({ instanceId: 7, eventId: 'e3', status: 'DEAD', error: 'HTTP 500' });

    const first = await log.list(7, { limit: 3 });
    expect(first.items.map((e) => e.eventId)).toEqual(['e4', 'e3', 'e2']);
    expect(first.cursor).toBeDefined();
    const second = await log.list(7, { limit: 3, ...(first.cursor ? { cursor: first.cursor } : {}) });
    expect(second.items.map((e) => e.eventId)).toEqual(['e1', 'e0']);

    const dead = await log.list(7, { status: 'DEAD' });
    expect(dead.items.map((e) => [e.eventId, e.status, e.attempts])).toEqual([
      ['e3', 'DEAD', 1],
      ['e1', 'DEAD', 1],
    ]);
    expect((await log.list(8)).items.map((e) => e.eventId)).toEqual(['other-instance']);
  });
});
