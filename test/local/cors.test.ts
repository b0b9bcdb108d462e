import { afterAll, describe, expect, it } from 'vitest';
import { CORS_EXPOSED_HEADERS, parseCorsOrigins } from '../../functions/cors';
import { type LocalServerHandle, startLocalServer } from '../../functions/local';
import { createLogger } from '../../shared/logging';

const silent = createLogger({ logLevel: 'SILENT' });
const APP = 'http://app.example.test:8080';
const servers: LocalServerHandle[] = [];
afterAll(async () => {
  for (const server of servers) await server.close();
});

const serve = async (origins: string | undefined) => {
  const server = await startLocalServer({
    env: {
      ELEMENT_ORGANIZATION_SECRET: 'o-secret-0123456789',
      ELEMENT_USER_SECRET: 'u-secret-0123456789',
      ELEMENT_CORS_ORIGINS: origins,
    },
    logger: silent,
  });
  servers.push(server);
  return server;
};

const preflight = (server: LocalServerHandle, origin: string) =>
  fetch(`${server.url}/hubs/helpdesk/incidents`, {
    method: 'OPTIONS',
    headers: {
      Origin: origin,
      'Access-Control-Request-Method': 'POST',
      'Access-Control-Request-Headers': 'authorization,content-type',
    },
  });

describe('ELEMENT_CORS_ORIGINS', () => {
  it('parses a comma list or *, and refuses what is not an origin', () => {
    expect(parseCorsOrigins(undefined)).toEqual({ kind: 'none' });
    expect(parseCorsOrigins(' ')).toEqual({ kind: 'none' });
    expect(parseCorsOrigins('*')).toEqual({ kind: 'any' });
    expect(parseCorsOrigins('https://A.example.com, http://localhost:5173')).toEqual({
      kind: 'list',
      origins: ['https://a.example.com', 'http://localhost:5173'],
    });
    for (const bad of ['https://a.example.com/', 'a.example.com', '*, https://a.example.com', 'ftp://x']) {
      expect(() => parseCorsOrigins(bad)).toThrow(/ELEMENT_CORS_ORIGINS/);
    }
  });

  it('answers preflights and exposes the Elements-* headers for a listed origin in local mode', async () => {
    const server = await serve(`https://other.example.test, ${APP}`);
    const answer = await preflight(server, APP);
    expect(answer.status).toBe(204);
    expect(answer.headers.get('access-control-allow-origin')).toBe(APP);
    expect(answer.headers.get('access-control-allow-methods')).toContain('PATCH');
    expect(answer.headers.get('access-control-allow-headers')).toContain('Authorization');
    expect(answer.headers.get('access-control-max-age')).toBe('600');
    // An ordinary response (here a 401 error) carries the origin and the exposed headers.
    const res = await fetch(`${server.url}/instances`, { headers: { Origin: APP } });
    expect(res.status).toBe(401);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
    expect(res.headers.get('access-control-expose-headers')).toBe(CORS_EXPOSED_HEADERS.join(', '));
    expect(res.headers.get('vary')).toContain('Origin');
    // Another origin gets no grant.
    const foreign = await preflight(server, 'https://evil.example.test');
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    const foreignGet = await fetch(`${server.url}/ping`, {
      headers: { Origin: 'https://evil.example.test' },
    });
    expect(foreignGet.status).toBe(200);
    expect(foreignGet.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('grants any origin with *, and none by default (OPTIONS stays a 405)', async () => {
    const any = await serve('*');
    expect((await preflight(any, APP)).headers.get('access-control-allow-origin')).toBe('*');
    const none = await serve(undefined);
    const answer = await preflight(none, APP);
    expect(answer.status).toBe(405);
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
  });
});
