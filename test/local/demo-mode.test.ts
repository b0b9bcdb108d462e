import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalModeHandle, runLocalMode } from '../../functions/local';
import { readLocalConfig } from '../../shared/config';

describe('local mode with the demo ServiceNow', () => {
  let dataDir: string;
  let local: LocalModeHandle;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'snow-element-demo-'));
    local = await runLocalMode(
      readLocalConfig({ PORT: '0', DEMO_SERVICENOW_PORT: '0', ELEMENT_DATA_DIR: dataDir, LOG_LEVEL: 'WARN' }),
    );
  });
  afterAll(async () => {
    await local?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

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
});
