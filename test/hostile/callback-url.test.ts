import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_KEYS } from '../../shared/events/configuration';
import { type HubHarness, startHubHarness } from '../hub/harness';
import { basicBody } from '../instances/harness';

/**
 * `event.notification.callback.url` is an outbound URL like the ServiceNow host and the bulk callback:
 * refused when saved, through every route that sets it, unless its host is allow-listed. The delivery's
 * own check is covered by test/events/dispatch.test.ts ("callback URL refused").
 */
const REFUSED = [
  'https://169.254.169.254/latest/meta-data/',
  'http://169.254.169.254/latest/meta-data/',
  'https://[fd00:ec2::254]/',
  'https://127.0.0.2/hook',
  'https://2130706434/hook',
  'https://0x7f000002/hook',
  'https://[::1]/hook',
  'https://10.1.2.3/hook',
  'https://192.168.0.10/hook',
  'https://100.64.0.1/hook',
  'https://0.0.0.0/hook',
  'https://224.0.0.1/hook',
  'http://203.0.113.9/hook',
  'https://user:secret@127.0.0.1/hook',
  'file:///etc/passwd',
  'gopher://127.0.0.1:70/x',
  'ftp://203.0.113.9/x',
  'javascript:alert(1)',
  `https://example.com/${'x'.repeat(2100)}`,
];
const ALLOWED = 'http://127.0.0.1:9/events';

describe('event callback URL checked when saved', () => {
  let h: HubHarness;
  let id: number;
  beforeAll(async () => {
    h = await startHubHarness();
    id = (await h.provision({ [EVENT_KEYS.callbackUrl]: ALLOWED })).id;
  });
  afterAll(() => h?.close());

  const stored = async () => {
    const items = (await h.platform('GET', `/instances/${id}/configuration`)).json<
      { key: string; propertyValue: string }[]
    >();
    return items.find((item) => item.key === EVENT_KEYS.callbackUrl)?.propertyValue;
  };

  it('refuses metadata, loopback, private, non-http(s) and oversized targets on every route, changing nothing', async () => {
    const instancesBefore = (await h.platform('GET', '/instances')).json<unknown[]>().length;
    for (const url of REFUSED) {
      const configuration = { [EVENT_KEYS.callbackUrl]: url };
      const attempts = [
        await h.platform('POST', '/instances', basicBody(h.sim, configuration)),
        await h.platform('PUT', `/instances/${id}`, basicBody(h.sim, configuration)),
        await h.platform('PATCH', `/instances/${id}`, { configuration }),
        await h.platform('PATCH', `/instances/${id}/configuration/${EVENT_KEYS.callbackUrl}`, {
          propertyValue: url,
        }),
      ];
      for (const res of attempts) {
        expect(res.status, `${url}: ${res.text}`).toBe(400);
        expect(res.json<{ message: string }>().message).toContain(EVENT_KEYS.callbackUrl);
      }
    }
    expect(await stored()).toBe(ALLOWED);
    expect((await h.platform('GET', '/instances')).json<unknown[]>()).toHaveLength(instancesBefore);
  });

  it('takes an allow-listed host, and does not re-check an unchanged URL on unrelated updates', async () => {
    const other = 'http://127.0.0.1:9/other';
    const patched = await h.platform('PATCH', `/instances/${id}/configuration/${EVENT_KEYS.callbackUrl}`, {
      propertyValue: other,
    });
    expect(patched.status, patched.text).toBe(200);
    expect(await stored()).toBe(other);
    const renamed = await h.platform('PATCH', `/instances/${id}`, { name: 'renamed' });
    expect(renamed.status, renamed.text).toBe(200);
  });
});
