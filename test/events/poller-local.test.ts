/**
 * Local mode runs the whole events pipeline: the poller on a timer, the persisted local queue, and the
 * dispatcher delivering signed callbacks. Here the timer is shortened; `npm start` polls every minute.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getDependencies, LOCAL_EVENTS_QUEUE_FILE } from '../../functions/runtime/dependencies';
import { startedForSuite } from '../helpers/lifecycle';
import { demoEventsConfiguration, startLocalMode } from '../helpers/local-mode';
import { startReceiver } from '../helpers/receiver';

const secrets = { organization: 'a'.repeat(64), user: 'b'.repeat(64) };
const platform = `User ${secrets.user}, Organization ${secrets.organization}`;

describe('local mode events', () => {
  const callbacks = startedForSuite(startReceiver);
  const local = startedForSuite(() =>
    startLocalMode('events', { secrets, logLevel: 'ERROR', eventsPollIntervalMs: 100 }),
  );

  it('polls on its timer and delivers the new incident to the callback', async () => {
    const sim = local.simulator?.url ?? '';
    const created = await fetch(`${local.api.url}/instances`, {
      method: 'POST',
      headers: { Authorization: platform, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        element: { key: 'servicenow' },
        name: 'events demo',
        configuration: demoEventsConfiguration(sim, `${callbacks.url}/events`),
      }),
    });
    expect(created.status, await created.clone().text()).toBe(200);
    const instance = (await created.json()) as { id: number };
    // The timer's first poll of the new instance sets its checkpoints and reschedules it (15 minutes).
    const { stateTable } = await getDependencies();
    await expect
      .poll(() => stateTable.get({ pk: `EVENTS#${instance.id}`, sk: 'STATUS' }), {
        timeout: 10_000,
        interval: 50,
      })
      .toBeDefined();
    const incident = await fetch(`${sim}/api/now/table/incident`, {
      method: 'POST',
      headers: {
        Authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}`,
        'Content-Type': 'application/json',
        Accept: 'application/json',
      },
      body: JSON.stringify({ short_description: 'delivered by the local pipeline' }),
    });
    const sysId = ((await incident.json()) as { result: { sys_id: string } }).result.sys_id;

    // A new refresh interval makes the instance due at once: the next timer tick polls it.
    const patched = await fetch(`${local.api.url}/instances/${instance.id}`, {
      method: 'PATCH',
      headers: { Authorization: platform, 'Content-Type': 'application/json' },
      body: JSON.stringify({ configuration: { 'event.poller.refresh_interval': 5 } }),
    });
    expect(patched.status).toBe(200);
    await expect
      .poll(() => callbacks.requests.map((r) => r.body).find((body) => body.includes(sysId)), {
        timeout: 10_000,
        interval: 50,
      })
      .toBeDefined();
    const body = JSON.parse(callbacks.requests.find((r) => r.body.includes(sysId))?.body ?? '{}') as {
      message: { instanceId: number; events: { objectType: string; eventType: string }[] };
    };
    expect(body.message.instanceId).toBe(instance.id);
    expect(body.message.events).toContainEqual(
      expect.objectContaining({ objectType: 'incidents', objectId: sysId, eventType: 'CREATED' }),
    );
  });

  it('persists the events queue under the data dir', async () => {
    await local.stop();
    // The queue's journal: the delivered event was stored (put), received (state), then deleted (del).
    const lines = (await readFile(join(local.dataDir, LOCAL_EVENTS_QUEUE_FILE), 'utf8')).trim().split('\n');
    const kinds = new Set(lines.map((line) => Object.keys(JSON.parse(line) as object)[0]));
    expect([...kinds].sort()).toEqual(['del', 'put', 'state']);
  });
});
