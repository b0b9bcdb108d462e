import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SecretStore } from '../../shared/ports';
import { signBody } from '../../shared/webhooks';
import { type Receiver, startReceiver } from '../helpers/receiver';
import { basicBody } from '../instances/harness';
import { type BulkHarness, startBulkHarness } from './harness';

let h: BulkHarness;
let receiver: Receiver;
let receiverUrl: string;
/** Names the worker read from its secret store, in order. */
const secretReads: string[] = [];
const countingSecrets = (secrets: SecretStore): SecretStore => ({
  ...secrets,
  get: (name) => {
    secretReads.push(name);
    return secrets.get(name);
  },
});

beforeAll(async () => {
  receiver = await startReceiver();
  receiverUrl = `${receiver.url}/bulk-done`;
  h = await startBulkHarness({
    simulator: { seed: 5, data: { incidents: 5, users: 2, groups: 1, companies: 1 } },
    worker: { wrapSecretStore: countingSecrets },
  });
});
afterAll(async () => {
  await h?.close();
  await receiver?.close();
});

describe('bulk callback signing key', () => {
  it('reads the secret once for several callbacks of an instance, and again after an update', async () => {
    const created = await h.platform(
      'POST',
      '/instances',
      basicBody(h.sim, { 'event.notification.signature.key': 'first-key' }),
    );
    expect(created.status).toBe(200);
    const { id, token } = created.json<{ id: number; token: string }>();
    const credentials = `instances/${id}/credentials`;
    const readsOfInstance = () => secretReads.filter((name) => name === credentials).length;

    const runJob = async () => {
      const res = await h.call('POST', '/bulk/download', {
        json: { objectName: 'incidents', format: 'text/csv', notificationUrl: receiverUrl },
        token,
      });
      expect(res.status).toBe(200);
      const jobId = res.json<{ id: string }>().id;
      expect(await h.settle(jobId, token)).toMatchObject({
        status: 'COMPLETED',
        notificationStatus: 'DELIVERED',
      });
      const callback =
        receiver.requests.find((r) => r.body.includes(jobId)) ?? expect.fail('callback received');
      return callback;
    };

    const first = await runJob();
    expect(first.headers['elements-webhook-signature']).toBe(signBody('first-key', first.body));
    const afterFirst = readsOfInstance();
    expect(afterFirst).toBeGreaterThan(0);
    for (let i = 0; i < 3; i++) {
      const next = await runJob();
      expect(next.headers['elements-webhook-signature']).toBe(signBody('first-key', next.body));
    }
    expect(readsOfInstance()).toBe(afterFirst);

    const patched = await h.platform('PATCH', `/instances/${id}`, {
      configuration: { 'event.notification.signature.key': 'second-key' },
    });
    expect(patched.status).toBe(200);
    const afterUpdate = await runJob();
    expect(afterUpdate.headers['elements-webhook-signature']).toBe(signBody('second-key', afterUpdate.body));
    expect(readsOfInstance()).toBeGreaterThan(afterFirst);
  });
});
