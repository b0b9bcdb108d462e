import { describe, expect, it } from 'vitest';
import { startedForSuite } from '../helpers/lifecycle';
import { startLocalMode } from '../helpers/local-mode';

describe('local mode with the demo ServiceNow', () => {
  const local = startedForSuite(() => startLocalMode('demo'));

  it('starts the simulator with demo data and the documented demo credentials', async () => {
    expect(local.simulator?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(local.banner).toContain(`Demo ServiceNow simulator: ${local.simulator?.url}`);
    expect(local.banner).toContain('admin / admin');
    expect(local.banner).toContain(`curl -s -u admin:admin "${local.simulator?.url}/api/now/table/incident`);
    const res = await fetch(`${local.simulator?.url}/api/now/table/incident?sysparm_limit=1`, {
      headers: {
        Authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}`,
        Accept: 'application/json',
      },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { result: unknown[] };
    expect(body.result).toHaveLength(1);
  });

  it('serves the API beside it', async () => {
    expect((await fetch(`${local.api.url}/ping`)).status).toBe(200);
  });

  it('prints the platform and hub commands with the local credentials', () => {
    const user = /User secret\s*: ([0-9a-f]{64})/.exec(local.banner)?.[1];
    const org = /Organization secret: ([0-9a-f]{64})/.exec(local.banner)?.[1];
    expect(user).toBeDefined();
    expect(local.banner).toContain(
      `curl -s -H "Authorization: User ${user}, Organization ${org}" "${local.api.url}/elements"`,
    );
    // The instance flow is commented out: it needs the token of the instance it creates.
    expect(local.banner).toContain(`#   -d '{"element":{"key":"servicenow"}`);
    expect(local.banner).toContain(`"servicenow.subdomain":"${local.simulator?.url}"`);
    expect(local.banner).toContain(
      `# curl -s -H "Authorization: User ${user}, Element $TOKEN" "${local.api.url}/hubs/helpdesk/ping"`,
    );
  });

  it('installs one local state table for every handler of the process', async () => {
    const { getDependencies } = await import('../../functions/runtime/dependencies');
    const { stateTable, mode } = await getDependencies();
    expect(mode).toBe('local');
    await stateTable.put({ pk: 'TEST', sk: 'SHARED', value: 1 });
    expect(await stateTable.get({ pk: 'TEST', sk: 'SHARED' })).toMatchObject({ value: 1 });
  });
});
