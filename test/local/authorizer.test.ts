import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAuthorizerHandler } from '../../functions/authorizer/authorize';
import { type LocalServerHandle, startLocalServer } from '../../functions/local';
import { type ApiEvent, withMiddleware } from '../../functions/middleware';
import { getDependencies } from '../../functions/runtime/dependencies';
import {
  clearTokenCache,
  hashElementToken,
  invalidateToken,
  tokenIndexKey,
  UNAUTHORIZED_MESSAGE,
} from '../../shared/auth';
import { createLogger } from '../../shared/logging';
import { ALICE, ALICE_TOKEN, ALL_SECRETS, BOB, BOB_TOKEN, ORG, tokenItem } from '../auth/fixtures';
import { captureOutput } from '../functions/capture-logs';

const silent = createLogger({ logLevel: 'SILENT' });
const extraRoutes = [
  { method: 'GET', path: '/test/platform', functionName: 'whoami', auth: 'platform' as const },
  { method: 'GET', path: '/test/hub', functionName: 'hubWhoami', auth: 'hub' as const },
];
const whoami = (auth: 'platform' | 'hub') =>
  withMiddleware(async (event: ApiEvent) => ({ identity: event.identity }), { auth, logger: silent });

let dataDir: string;
let server: LocalServerHandle;
let authorizerCalls = 0;
let time = 1_000_000;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'snow-element-auth-'));
  const real = createAuthorizerHandler({
    routes: extraRoutes,
    logger: silent,
  });
  server = await startLocalServer({
    env: {
      ELEMENT_DATA_DIR: dataDir,
      ELEMENT_ORGANIZATION_SECRET: ORG,
      ELEMENT_USER_SECRET: `alice:${ALICE},bob:${BOB}`,
    },
    extraRoutes,
    extraHandlers: { whoami: whoami('platform'), hubWhoami: whoami('hub') },
    logger: silent,
    now: () => time,
    authorizer: async (event) => {
      authorizerCalls += 1;
      return real(event);
    },
  });
  // The state table every handler of the process shares: startLocalServer installed it on dataDir.
  const { stateTable } = await getDependencies();
  await stateTable.put(tokenItem(ALICE_TOKEN, 7, 'alice'));
  await stateTable.put(tokenItem(BOB_TOKEN, 8, 'bob'));
});

afterAll(async () => {
  await server?.close();
  await rm(dataDir, { recursive: true, force: true });
});

beforeEach(() => {
  authorizerCalls = 0;
  time += 60_000; // past every cached decision
  clearTokenCache();
});

const call = (path: string, authorization?: string) =>
  fetch(
    `${server.url}${path}`,
    authorization === undefined ? {} : { headers: { Authorization: authorization } },
  );

describe('local mode runs the authorizer before protected routes', () => {
  it('answers 401 JSON to a request without Authorization, without calling the authorizer', async () => {
    const res = await call('/test/platform');
    expect(res.status).toBe(401);
    expect(res.headers.get('elements-request-id')).toMatch(/^[0-9a-f]{24}$/);
    expect(await res.json()).toEqual({
      requestId: res.headers.get('elements-request-id'),
      message: UNAUTHORIZED_MESSAGE,
    });
    expect(authorizerCalls).toBe(0);
  });

  it('hands the platform identity to the function', async () => {
    const res = await call('/test/platform', `Organization ${ORG}, User ${BOB}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ identity: { userId: 'bob' } });
  });

  it('hands the hub identity, instance included, resolved from the token index in the data dir', async () => {
    const res = await call('/test/hub', `User ${ALICE}, Element ${ALICE_TOKEN}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ identity: { userId: 'alice', instanceId: 7 } });
  });

  it.each([
    ['a wrong organization', '/test/platform', `User ${ALICE}, Organization nope`],
    ["another user's token", '/test/hub', `User ${ALICE}, Element ${BOB_TOKEN}`],
    ['platform credentials on a hub route', '/test/hub', `User ${ALICE}, Organization ${ORG}`],
    ['garbage', '/test/hub', 'Bearer x'],
  ])('answers the CE 401 to %s', async (_, path, authorization) => {
    const res = await call(path, authorization);
    expect(res.status).toBe(401);
    const body = (await res.json()) as { message: string; requestId: string };
    expect(body).toEqual({
      requestId: res.headers.get('elements-request-id'),
      message: UNAUTHORIZED_MESSAGE,
    });
  });

  it('reuses a decision per header for AUTHORIZER_CACHE_SECONDS, like API Gateway', async () => {
    const header = `User ${BOB}, Element ${BOB_TOKEN}`;
    expect((await call('/test/hub', header)).status).toBe(200);
    expect((await call('/test/hub', header)).status).toBe(200);
    expect(authorizerCalls).toBe(1);

    // The instance is deleted: its index item goes and the in-process token cache is told.
    const { stateTable } = await getDependencies();
    await stateTable.delete(tokenIndexKey(hashElementToken(BOB_TOKEN)));
    invalidateToken(hashElementToken(BOB_TOKEN));
    time += 29_000;
    // Still inside the gateway cache: the function must re-check the instance itself (instances brief).
    expect((await call('/test/hub', header)).status).toBe(200);
    time += 2_000;
    expect((await call('/test/hub', header)).status).toBe(401);
    expect(authorizerCalls).toBe(2);
    await stateTable.put(tokenItem(BOB_TOKEN, 8, 'bob'));
  });

  it('keeps platform and hub decisions apart for the same header', async () => {
    const header = `User ${ALICE}, Organization ${ORG}, Element ${ALICE_TOKEN}`;
    const platform = await call('/test/platform', header);
    const hub = await call('/test/hub', header);
    expect(await platform.json()).toEqual({ identity: { userId: 'alice', instanceId: 7 } });
    expect(await hub.json()).toEqual({ identity: { userId: 'alice', instanceId: 7 } });
    expect(authorizerCalls).toBe(2);
  });

  it('never logs the header, secrets or tokens', async () => {
    const logged = createLogger({ logLevel: 'DEBUG' });
    const noisy = await startLocalServer({
      env: { ELEMENT_ORGANIZATION_SECRET: ORG, ELEMENT_USER_SECRET: `alice:${ALICE},bob:${BOB}` },
      extraRoutes,
      extraHandlers: {
        whoami: withMiddleware(async (event: ApiEvent) => ({ identity: event.identity }), {
          auth: 'platform',
          logger: logged,
        }),
        hubWhoami: withMiddleware(
          async () => {
            throw new Error('hub failed');
          },
          { auth: 'hub', logger: logged },
        ),
      },
      logger: logged,
    });
    try {
      const output = await captureOutput(async () => {
        for (const header of [
          `User ${ALICE}, Organization ${ORG}`,
          `User ${BOB}, Element ${BOB_TOKEN}`,
          `User ${ALICE}, Element ${BOB_TOKEN}`,
          `User ${ALICE}, Organization ${ORG}, Element ${ALICE_TOKEN}`,
        ]) {
          await fetch(`${noisy.url}/test/platform`, { headers: { Authorization: header } });
          await fetch(`${noisy.url}/test/hub`, { headers: { Authorization: header } });
        }
      });
      expect(output).toContain('authorization decided');
      for (const secret of ALL_SECRETS) expect(output).not.toContain(secret);
    } finally {
      await noisy.close();
    }
  });
});
