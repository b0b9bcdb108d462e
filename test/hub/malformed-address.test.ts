import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { forgetInstanceClient, instanceSecretName } from '../../shared/instances';
import { type HubHarness, startHubHarness } from './harness';

let h: HubHarness;
beforeAll(async () => {
  h = await startHubHarness({ seed: 3, data: { incidents: 2, users: 1, groups: 1, companies: 1 } });
});
afterAll(() => h?.close());

const H = '/hubs/helpdesk';

describe('a malformed hub address', () => {
  it("is refused before the instance's ServiceNow client (and its secret) is built", async () => {
    const reads = vi.spyOn(h.deps.secretStore, 'get');
    const readsOfInstance = () =>
      reads.mock.calls.filter(([name]) => name === instanceSecretName(h.instanceId)).length;
    forgetInstanceClient(h.instanceId);
    const id = 'a'.repeat(32);
    const malformed: [string, string, unknown?][] = [
      ['GET', `${H}/Not-A-Table/${id}/comments`],
      ['GET', `${H}/incidents/not-an-id!/work-notes`],
      ['POST', `${H}/incidents/not-an-id!/comments`, { comments: 'never written' }],
      ['GET', `${H}/Not-A-Table/${id}/attachments`],
      ['GET', `${H}/incidents/${id}/attachments/not-an-id!`],
      ['DELETE', `${H}/incidents/${id}/attachments/not-an-id!`],
      ['GET', `${H}/incidents/${id}/attachments/not-an-id!/file`],
      ['GET', `${H}/objects/Not-A-Table/metadata`],
    ];
    for (const [method, path, body] of malformed) {
      const res = await h.hub(method, path, body === undefined ? {} : { body });
      expect(res.status, `${method} ${path}`).toBeGreaterThanOrEqual(400);
      expect(res.status, `${method} ${path}`).toBeLessThan(500);
    }
    expect(readsOfInstance()).toBe(0);
    // The same routes well addressed do build it: the spy sees the read.
    const listed = await h.hub('GET', `${H}/objects/incidents/metadata`);
    expect(listed.status).toBe(200);
    expect(readsOfInstance()).toBeGreaterThan(0);
    reads.mockRestore();
  });
});
