import { describe, expect, it } from 'vitest';
import { pollInstance, type SendRetryPolicy } from '../../shared/events';
import { startedForEachTest } from '../helpers/lifecycle';
import { clientFor } from '../servicenow/helpers/fake-server';
import { configFor, eventsOf, flakyQueue, insert, startEventsHarness, tick } from './harness';

const h = startedForEachTest(startEventsHarness);

const RECORDS = 500;
const ROUNDS = 20;
const UPDATES = RECORDS * ROUNDS;

/**
 * RECORDS incidents updated ROUNDS times under 10% 500s + 10% 429s from ServiceNow and 20% refused
 * queue messages; after each round the poller runs until a poll completes (a failed poll is simply
 * retried by the next one, the scheduler's job). Each round's states must be delivered before the next
 * round overwrites them, since polling observes states. Returns loss and duplicate counts.
 */
const faultRun = async (label: string, attempts: { serviceNow?: number; queue?: SendRetryPolicy }) => {
  const ids: string[] = [];
  for (let i = 0; i < RECORDS; i++)
    ids.push(insert(h.sim, 'incident', { short_description: `r ${i}` }).sys_id ?? '');
  tick(h.sim, 5);
  h.enabledAt = h.sim.clock.now();
  const config = configFor({ incidents: { pageSize: 200 } });
  const flaky = flakyQueue(h.queue, 0.2, 11);
  const client = clientFor(
    h.sim.url,
    attempts.serviceNow === undefined ? {} : { maxAttempts: attempts.serviceNow },
  );
  const deps = () =>
    h.deps({
      client,
      queue: flaky.producer,
      now: h.sim.clock.now(),
      ...(attempts.queue ? { sendRetry: attempts.queue } : {}),
    });

  h.sim.faults.rate({ kind: 'status', status: 500, retryAfterSeconds: 0 }, 0.1);
  h.sim.faults.rate({ kind: 'status', status: 429, retryAfterSeconds: 0 }, 0.1);
  let failedPolls = 0;
  let polls = 0;
  const expected = new Set<string>();
  try {
    for (let round = 0; round < ROUNDS; round++) {
      // Every other round shares its second with the previous one: ties across polls.
      if (round % 2 === 0) tick(h.sim);
      for (const id of ids) {
        const row = h.sim.db.update(
          'incident',
          id,
          { urgency: String((round % 3) + 1) },
          { userName: 'admin' },
        );
        expected.add(`${id}|${row?.sys_mod_count}`);
      }
      for (let attempt = 0; ; attempt++) {
        polls++;
        const summary = await pollInstance(deps(), config);
        if (summary.errors.length === 0) break;
        failedPolls++;
        expect(attempt).toBeLessThan(100);
      }
    }
  } finally {
    h.sim.faults.clear();
    await client.agent.close();
  }
  const injected = h.sim.requests.filter((r) => r.status === 500 || r.status === 429).length;
  const events = eventsOf(h.messages()).filter((e) => e.eventType === 'UPDATED');
  const delivered = new Set(events.map((e) => `${e.objectId}|${e.mod}`));
  const lost = [...expected].filter((key) => !delivered.has(key)).length;
  const duplicates = events.length - delivered.size;
  console.info(
    `events fault run (${label}): ${UPDATES} updates, ${polls} polls (${failedPolls} failed part-way), ` +
      `${injected}/${h.sim.requests.length} ServiceNow responses 5xx/429, ` +
      `${flaky.stats.refused} queue refusals; lost ${lost} (${((100 * lost) / UPDATES).toFixed(2)}%), ` +
      `duplicates ${duplicates} (${((100 * duplicates) / UPDATES).toFixed(2)}%)`,
  );
  return { lost, duplicates, delivered: delivered.size, refused: flaky.stats.refused, failedPolls };
};

describe('events poller under faults', () => {
  it(`loses none of ${UPDATES} updates with 20% ServiceNow 5xx/429 and 20% queue refusals (default retries)`, async () => {
    const run = await faultRun('default retries', {});
    expect(run.lost).toBe(0);
    expect(run.delivered).toBe(UPDATES);
    expect(run.refused).toBeGreaterThan(0);
  }, 60_000);

  it(`loses none of ${UPDATES} updates with no queue retries and 2 ServiceNow attempts, so polls break part-way and resume`, async () => {
    const run = await faultRun('1 queue attempt, 2 ServiceNow attempts', {
      serviceNow: 2,
      queue: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
    });
    expect(run.failedPolls).toBeGreaterThan(0);
    expect(run.lost).toBe(0);
    expect(run.delivered).toBe(UPDATES);
  }, 60_000);
});
