import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { createAuthorizerHandler } from '../../functions/authorizer/authorize';
import { handler } from '../../functions/authorizer/handler';
import { type ApiEvent, withMiddleware } from '../../functions/middleware';
import { setDependencies } from '../../functions/runtime/dependencies';
import { clearTokenCache, UNAUTHORIZED_MESSAGE } from '../../shared/auth';
import { createLogger } from '../../shared/logging';
import type { StateTable } from '../../shared/ports/state-table';
import { captureOutput } from '../functions/capture-logs';
import { httpEvent, jsonBodyOf, lambdaContext } from '../functions/factories';
import {
  ALICE,
  ALICE_TOKEN,
  ALL_SECRETS,
  authorizerEvent,
  BOB,
  BOB_TOKEN,
  fakeTable,
  ORG,
  secretsProvider,
  tokenItem,
} from './fixtures';

const routes = [
  { method: 'GET', path: '/instances', auth: 'platform' as const },
  { method: 'GET', path: '/hubs/helpdesk/ping', auth: 'hub' as const },
  { method: 'GET', path: '/ping', auth: 'none' as const },
];
const silent = createLogger({ logLevel: 'SILENT' });
const table = () => fakeTable([tokenItem(ALICE_TOKEN, 7, 'alice'), tokenItem(BOB_TOKEN, 8, 'bob')]);

const authorizer = (logger = silent, lookup = table()) =>
  createAuthorizerHandler({
    routes,
    secrets: secretsProvider,
    logger,
    lookupToken: async (hash) => {
      const item = await lookup.get({ pk: `TOKEN#${hash}`, sk: 'TOKEN' });
      return item
        ? { instanceId: item.instanceId as number, ownerUserId: item.ownerUserId as string }
        : undefined;
    },
  });

afterEach(() => {
  setDependencies(undefined);
  clearTokenCache();
});

describe('authorizer handler', () => {
  it('answers an allow as isAuthorized with the identity as string context', async () => {
    const result = await authorizer()(
      authorizerEvent({ authorization: `User ${ALICE}, Organization ${ORG}` }),
    );
    expect(result).toEqual({
      isAuthorized: true,
      context: { outcome: 'allow', kind: 'platform', userId: 'alice' },
    });
  });

  it('picks the kind from the route: the hub route resolves the element token', async () => {
    const result = await authorizer()(
      authorizerEvent({
        routePath: '/hubs/helpdesk/ping',
        authorization: `Element ${BOB_TOKEN}, User ${BOB}`,
      }),
    );
    expect(result.context).toEqual({ outcome: 'allow', kind: 'hub', userId: 'bob', instanceId: '8' });
    for (const value of Object.values(result.context)) expect(typeof value).toBe('string');
  });

  it('answers a deny still as isAuthorized, with the 401 for the function to render', async () => {
    const result = await authorizer()(
      authorizerEvent({
        routePath: '/hubs/helpdesk/ping',
        authorization: `User ${ALICE}, Element ${BOB_TOKEN}`,
      }),
    );
    expect(result).toEqual({
      isAuthorized: true,
      context: { outcome: 'deny', status: '401', message: UNAUTHORIZED_MESSAGE },
    });
  });

  it('reads the identity source when the header map lacks it', async () => {
    const event = authorizerEvent({ authorization: `User ${ALICE}, Organization ${ORG}` });
    delete event.headers?.authorization;
    expect((await authorizer()(event)).context).toMatchObject({ outcome: 'allow', userId: 'alice' });
  });

  it('denies a route it does not protect rather than guessing its kind', async () => {
    const result = await authorizer()(
      authorizerEvent({ routePath: '/ping', authorization: `User ${ALICE}, Organization ${ORG}` }),
    );
    expect(result.context).toMatchObject({ outcome: 'deny', status: '401' });
    const unknown = await handler(
      authorizerEvent({ routePath: '/not-a-route', authorization: `User ${ALICE}, Organization ${ORG}` }),
      {} as Context,
    );
    expect(unknown.context).toMatchObject({ outcome: 'deny', status: '401' });
  });

  it('looks tokens up in the state table of getDependencies() by default', async () => {
    const lookup = table();
    setDependencies({
      mode: 'local',
      stateTable: lookup as unknown as StateTable,
      secretStore: { get: async () => undefined, put: async () => undefined, delete: async () => undefined },
      allowedHosts: { entries: [], allows: () => false } as never,
      now: () => new Date(),
    });
    const viaDefaults = createAuthorizerHandler({ routes, secrets: secretsProvider, logger: silent });
    const result = await viaDefaults(
      authorizerEvent({
        routePath: '/hubs/helpdesk/ping',
        authorization: `User ${ALICE}, Element ${ALICE_TOKEN}`,
      }),
    );
    expect(result.context).toEqual({ outcome: 'allow', kind: 'hub', userId: 'alice', instanceId: '7' });
    expect(lookup.reads).toBe(1);
  });

  it('fails (API Gateway answers 500, caches nothing) when the secrets cannot be read', async () => {
    const broken = createAuthorizerHandler({
      routes,
      logger: silent,
      secrets: async () => {
        throw new Error('AccessDeniedException');
      },
      lookupToken: async () => undefined,
    });
    await expect(
      broken(authorizerEvent({ authorization: `User ${ALICE}, Organization ${ORG}` })),
    ).rejects.toThrow('AccessDeniedException');
  });
});

describe('the authorizer decision reaching a function', () => {
  it('lets the function see the identity, and renders a deny as the CE 401 body', async () => {
    const fn = withMiddleware(async (event: ApiEvent) => ({ identity: event.identity }), {
      auth: 'hub',
      logger: silent,
    });
    const allow = await authorizer()(
      authorizerEvent({
        routePath: '/hubs/helpdesk/ping',
        authorization: `User ${ALICE}, Element ${ALICE_TOKEN}`,
      }),
    );
    const ok = await fn(
      httpEvent({ path: '/hubs/helpdesk/ping', authorizer: allow.context }),
      lambdaContext(),
    );
    expect(jsonBodyOf(ok)).toEqual({ identity: { userId: 'alice', instanceId: 7 } });

    const deny = await authorizer()(
      authorizerEvent({ routePath: '/hubs/helpdesk/ping', authorization: `User ${ALICE}, Element nope` }),
    );
    const refused = await fn(
      httpEvent({ path: '/hubs/helpdesk/ping', authorizer: deny.context, requestId: 'r-1' }),
      lambdaContext(),
    );
    expect(refused.statusCode).toBe(401);
    expect(jsonBodyOf(refused)).toEqual({ requestId: 'r-1', message: UNAUTHORIZED_MESSAGE });
  });
});

describe('logs', () => {
  it('never contain a secret, token or the header, whatever the outcome', async () => {
    const logger = createLogger({ logLevel: 'DEBUG' });
    const headers = [
      `User ${ALICE}, Organization ${ORG}`,
      `User ${ALICE}, Organization ${ORG}, Element ${ALICE_TOKEN}`,
      `User ${BOB}, Element ${BOB_TOKEN}`,
      `User ${ALICE}, Element ${BOB_TOKEN}`,
      `User ${BOB}, Organization wrong-${ORG}`,
      `garbage ${ALICE} ${ORG}`,
    ];
    const fn = withMiddleware(
      async () => {
        throw new Error('boom');
      },
      { auth: 'hub', logger },
    );
    const output = await captureOutput(async () => {
      for (const routePath of ['/instances', '/hubs/helpdesk/ping']) {
        for (const authorization of headers) {
          const result = await authorizer(logger)(authorizerEvent({ routePath, authorization }));
          // The function side too: the middleware renders the decision and the handler fails.
          await fn(
            httpEvent({ path: routePath, headers: { authorization }, authorizer: result.context }),
            lambdaContext(),
          );
        }
      }
      const broken = createAuthorizerHandler({
        routes,
        logger,
        secrets: async () => {
          throw new Error('secrets unavailable');
        },
        lookupToken: async () => undefined,
      });
      await broken(authorizerEvent({ authorization: `User ${ALICE}, Organization ${ORG}` })).catch(
        () => undefined,
      );
    });
    expect(output).toContain('authorization decided');
    expect(output).toContain('"userId":"alice"');
    expect(output).toContain('authorizer failed');
    for (const secret of ALL_SECRETS) expect(output).not.toContain(secret);
  });
});
