import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMetaData } from '../../shared/bulk/api';
import { isElementError } from '../../shared/errors';
import { parseEventsConfig } from '../../shared/events/configuration';
import { jsonNestsDeeperThan, MAX_JSON_BODY_BYTES, MAX_JSON_DEPTH } from '../../shared/input';
import { type HubHarness, startHubHarness } from '../hub/harness';

const nestedObjects = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
const nestedArrays = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('jsonNestsDeeperThan', () => {
  it('counts the nesting of arrays and objects, not brackets inside strings', () => {
    expect(jsonNestsDeeperThan(nestedObjects(MAX_JSON_DEPTH), MAX_JSON_DEPTH)).toBe(false);
    expect(jsonNestsDeeperThan(nestedObjects(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH)).toBe(true);
    expect(jsonNestsDeeperThan(nestedArrays(10_000), MAX_JSON_DEPTH)).toBe(true);
    expect(jsonNestsDeeperThan(JSON.stringify({ a: '['.repeat(500), b: '\\"[[[' }), 3)).toBe(false);
    expect(jsonNestsDeeperThan(JSON.stringify([{ a: [[{}]] }]), 4)).toBe(true);
    expect(jsonNestsDeeperThan(JSON.stringify([{ a: [[{}]] }]), 5)).toBe(false);
  });
});

const status = (run: () => unknown): number | undefined => {
  try {
    run();
  } catch (error) {
    return isElementError(error) ? error.status : 500;
  }
  return undefined;
};

describe('JSON text inside fields', () => {
  it('refuses a deep metaData form field and a deep poller configuration given as text', () => {
    expect(status(() => parseMetaData(nestedObjects(10_000)))).toBe(400);
    expect(() => parseMetaData(nestedObjects(10_000))).toThrow(`deeper than ${MAX_JSON_DEPTH} levels`);
    const deepPoller = {
      'event.notification.enabled': 'false',
      'event.poller.configuration': `{"incidents":${nestedObjects(5_000)}}`,
    };
    expect(status(() => parseEventsConfig(deepPoller))).toBe(400);
  });
});

describe('deep and large JSON bodies over HTTP', () => {
  let h: HubHarness;
  beforeAll(async () => {
    h = await startHubHarness();
  });
  afterAll(() => h?.close());

  const expectRefused = (res: { status: number; text: string }, limit: string) => {
    expect(res.status, res.text).toBe(400);
    expect(res.text).toContain(limit);
  };

  it('answers 400 naming the depth limit on hub, instance, configuration and transformation routes', async () => {
    const depth = `deeper than ${MAX_JSON_DEPTH} levels`;
    const before = h.sim.db.size('incident');
    expectRefused(await h.hub('POST', '/hubs/helpdesk/incidents', { raw: nestedObjects(10_000) }), depth);
    expectRefused(await h.hub('POST', '/incidents', { raw: nestedArrays(10_000) }), depth);
    expect(h.sim.db.size('incident')).toBe(before);

    const poller = `{"configuration":{"event.poller.configuration":{"incidents":${nestedObjects(5_000)}}}}`;
    expectRefused(await h.platformRaw('PATCH', `/instances/${h.instanceId}`, poller), depth);
    expectRefused(
      await h.platformRaw(
        'PATCH',
        `/instances/${h.instanceId}/configuration/event.poller.configuration`,
        `{"propertyValue":${nestedObjects(5_000)}}`,
      ),
      depth,
    );
    // The same configuration given as JSON text.
    expectRefused(
      await h.platform('PATCH', `/instances/${h.instanceId}/configuration/event.poller.configuration`, {
        propertyValue: `{"incidents":${nestedObjects(5_000)}}`,
      }),
      `deeper than ${MAX_JSON_DEPTH} levels`,
    );
    expectRefused(await h.platformRaw('POST', '/instances', nestedObjects(10_000)), depth);
    expectRefused(
      await h.platformRaw('POST', '/organizations/objects/tickets/definitions', nestedObjects(10_000)),
      depth,
    );
    expectRefused(
      await h.platformRaw(
        'POST',
        '/organizations/elements/servicenow/transformations/tickets',
        `{"vendorName":"incident","fields":[${nestedObjects(10_000)}]}`,
      ),
      depth,
    );
    // Text that looks deep inside a string is fine.
    const created = await h.hub('POST', '/incidents', {
      body: { short_description: `${'['.repeat(5_000)}` },
    });
    expect(created.status).toBe(200);
  });

  it('answers 413 naming the size limit past MAX_JSON_BODY_BYTES', async () => {
    const res = await h.hub('POST', '/incidents', {
      raw: JSON.stringify({ short_description: 'x'.repeat(MAX_JSON_BODY_BYTES) }),
    });
    expect(res.status).toBe(413);
    expect(res.text).toContain(String(MAX_JSON_BODY_BYTES));
  });
});
