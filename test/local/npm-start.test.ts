import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretsIn, startLocalProcess as start } from '../helpers/local-process';

describe('npm start', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'snow-element-start-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('serves /ping, stops cleanly on SIGTERM and keeps its generated secrets across restarts', async () => {
    const first = await start({ ELEMENT_DATA_DIR: dataDir });
    expect(first.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/elements\/api-v2$/);
    expect(first.banner).toContain(`curl -s "${first.apiUrl}/ping"`);
    expect(first.banner).toContain('generated now');
    const generated = secretsIn(first.banner);
    expect(generated.organization).toBeDefined();
    expect(generated.user).toBeDefined();
    expect(generated.user).not.toBe(generated.organization);

    const ping = await fetch(`${first.apiUrl}/ping`);
    expect(ping.status).toBe(200);
    expect(await ping.json()).toMatchObject({ status: 'ok' });

    first.child.kill('SIGTERM');
    expect(await first.exit).toEqual({ code: 0, signal: null });

    const second = await start({ ELEMENT_DATA_DIR: dataDir });
    expect(second.banner).toContain('generated earlier');
    expect(secretsIn(second.banner)).toEqual(generated);
    second.child.kill('SIGINT');
    expect(await second.exit).toEqual({ code: 0, signal: null });
  });

  it('does not print secrets the user supplied', async () => {
    const started = await start({
      ELEMENT_DATA_DIR: dataDir,
      ELEMENT_ORGANIZATION_SECRET: 'user-chosen-org-secret',
      ELEMENT_USER_SECRET: 'user-chosen-user-secret',
    });
    started.child.kill('SIGTERM');
    expect(await started.exit).toEqual({ code: 0, signal: null });
    expect(started.banner).toContain('from ELEMENT_ORGANIZATION_SECRET');
    expect(started.banner).not.toContain('user-chosen-org-secret');
    expect(started.banner).not.toContain('user-chosen-user-secret');
  });

  it('refuses a malformed setting with a message naming it', async () => {
    await expect(start({ ELEMENT_DATA_DIR: dataDir, PORT: 'eighty' })).rejects.toThrow(
      /exited with 2.*PORT/s,
    );
  });
});
