import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { consoleHandler } from '../../functions/console/handler';
import { type LocalServerHandle, startLocalServer } from '../../functions/local';
import { API_BASE_PATH } from '../../functions/routes';
import { readFunctionEnv } from '../../shared/config/env';
import {
  CONTENT_SECURITY_POLICY,
  consoleDirectoryCandidates,
  consoleSecurityHeaders,
  contentSecurityPolicy,
  findConsoleDirectory,
  IMMUTABLE_CACHE,
  safeRelativePath,
} from '../../shared/console/static-files';
import { createLogger } from '../../shared/logging';
import { makeTempDir } from '../adapters/temp-dir';
import { consoleIndexEvent } from './console-event';

const INDEX =
  '<!doctype html><title>console</title><script type="module" src="./assets/app-3f9a1c.js"></script>';
const SCRIPT = 'console.log("app");';
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0x10, 0x80]);

let server: LocalServerHandle;
let temp: Awaited<ReturnType<typeof makeTempDir>>;

/** A small build output, like `npm run build:console` writes; one symbolic link points outside it. */
const writeFixture = async (root: string) => {
  const dist = join(root, 'dist');
  await mkdir(join(dist, 'assets'), { recursive: true });
  await writeFile(join(dist, 'index.html'), INDEX);
  await writeFile(join(dist, 'assets', 'app-3f9a1c.js'), SCRIPT);
  await writeFile(join(dist, 'assets', 'logo-77aa01.png'), PNG);
  await writeFile(join(dist, '.env'), 'SECRET=1');
  await writeFile(join(root, 'outside.txt'), 'not part of the console');
  await symlink(join(root, 'outside.txt'), join(dist, 'escape.txt'));
  return dist;
};

beforeAll(async () => {
  temp = await makeTempDir('console-static');
  const dist = await writeFixture(temp.dir);
  server = await startLocalServer({
    env: { ELEMENT_CONSOLE_DIR: dist, ELEMENT_DATA_DIR: join(temp.dir, 'data') },
    logger: createLogger({ serviceName: 'test-console-static', logLevel: 'WARN' }),
  });
});
afterAll(async () => {
  await server?.close();
  await temp?.cleanup();
});

/** A request sent with its path exactly as written (fetch would normalize `..` away). */
const raw = (method: string, path: string) =>
  new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>(
    (resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: server.port, method, path }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    },
  );

const consolePath = (rest: string) => `${API_BASE_PATH}/console${rest}`;

describe('console static files', () => {
  it('redirects /console to /console/ and serves index.html there, revalidated, under a strict CSP', async () => {
    const redirect = await raw('GET', consolePath(''));
    expect(redirect.status).toBe(302);
    expect(redirect.headers.location).toBe(consolePath('/'));

    const index = await raw('GET', consolePath('/'));
    expect(index.status).toBe(200);
    expect(index.body.toString()).toBe(INDEX);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.headers['cache-control']).toBe('no-cache');
    expect(index.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'self'");
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self';");
    expect(CONTENT_SECURITY_POLICY).toContain("connect-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/script-src[^;]*unsafe/);
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    expect(index.headers['x-frame-options']).toBe('DENY');
    expect(index.headers['referrer-policy']).toBe('no-referrer');
    expect((await raw('GET', consolePath('/index.html'))).body.toString()).toBe(INDEX);
  });

  it('serves hashed assets with their content type and a long immutable cache, binary files intact', async () => {
    const script = await raw('GET', consolePath('/assets/app-3f9a1c.js'));
    expect(script.status).toBe(200);
    expect(script.body.toString()).toBe(SCRIPT);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.headers['cache-control']).toBe(IMMUTABLE_CACHE);
    const png = await raw('GET', consolePath('/assets/logo-77aa01.png'));
    expect(png.headers['content-type']).toBe('image/png');
    expect(png.body.equals(PNG)).toBe(true);
  });

  it('answers HEAD with the headers and no body', async () => {
    const head = await raw('HEAD', consolePath('/assets/app-3f9a1c.js'));
    expect(head.status).toBe(200);
    expect(head.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(head.body.length).toBe(0);
    expect((await raw('HEAD', consolePath('/'))).status).toBe(200);
  });

  it('refuses traversal, hidden files, links out of the build and unknown files with a 404', async () => {
    for (const path of [
      '/..%2f..%2fpackage.json',
      '/assets/..%2F..%2F..%2Foutside.txt',
      '/%2e%2e/%2e%2e/outside.txt',
      '/.env',
      '/escape.txt',
      '/assets',
      '/assets/',
      '/nope.js',
      '/assets/app-3f9a1c.js%00.png',
      '/a\\..\\b',
    ]) {
      const answer = await raw('GET', consolePath(path));
      expect(answer.status, path).toBe(404);
      expect(answer.body.toString(), path).not.toContain('SECRET');
      expect(answer.body.toString(), path).not.toContain('not part of the console');
    }
    // Other verbs are not console routes (a POST falls to the hub's `/{objectName}`, which wants a token).
    expect((await raw('POST', consolePath('/'))).status).toBe(401);
  });

  it('does not shadow the OAuth callback route', async () => {
    const callback = await raw('GET', consolePath('/oauth/callback?state=x'));
    expect(callback.status).toBe(302);
    expect(callback.headers.location).toContain('#/connect-error?reason=invalid_state');
  });

  it('checks paths and finds the build output (the function asset first, then the repository build)', async () => {
    expect(safeRelativePath('assets/app.js')).toBeDefined();
    for (const bad of ['', '../x', 'a/../b', './a', 'a//b', '/etc/passwd', 'a\\b', '.git/config', 'a\0b']) {
      expect(safeRelativePath(bad), bad).toBeUndefined();
    }
    expect(consoleDirectoryCandidates('/var/task', undefined)).toEqual([
      '/var/task/console',
      '/var/task/web/dist',
    ]);
    expect(findConsoleDirectory([join(temp.dir, 'missing'), join(temp.dir, 'dist')])).toBe(
      join(temp.dir, 'dist'),
    );
    expect(findConsoleDirectory([join(temp.dir, 'missing')])).toBeUndefined();
  });
});

describe('console CSP', () => {
  const BULK_ORIGIN = 'https://snowelement-bulkstagingbucket-abc.s3.eu-west-3.amazonaws.com';
  const directives = (policy: string) => policy.split('; ');

  it('adds the given origins to connect-src only, every other directive unchanged', () => {
    expect(contentSecurityPolicy()).toBe(CONTENT_SECURITY_POLICY);
    const policy = contentSecurityPolicy([BULK_ORIGIN]);
    expect(directives(policy)).toContain(`connect-src 'self' ${BULK_ORIGIN}`);
    expect(directives(policy).filter((directive) => directive.includes(BULK_ORIGIN))).toHaveLength(1);
    expect(directives(policy).filter((directive) => !directive.startsWith('connect-src'))).toEqual(
      directives(CONTENT_SECURITY_POLICY).filter((directive) => !directive.startsWith('connect-src')),
    );
    expect(consoleSecurityHeaders([BULK_ORIGIN])['Content-Security-Policy']).toBe(policy);
    expect(consoleSecurityHeaders()['Content-Security-Policy']).toBe(CONTENT_SECURITY_POLICY);
  });

  it('takes the bulk origin from ELEMENT_CONSOLE_BULK_ORIGIN, an https origin and nothing wider', async () => {
    const event = consoleIndexEvent() as unknown as Parameters<typeof consoleHandler>[0];
    vi.stubEnv('ELEMENT_CONSOLE_DIR', join(temp.dir, 'dist'));
    try {
      vi.stubEnv('ELEMENT_CONSOLE_BULK_ORIGIN', BULK_ORIGIN);
      const answer = await consoleHandler(event);
      expect(answer.statusCode).toBe(200);
      expect(answer.headers?.['Content-Security-Policy']).toBe(contentSecurityPolicy([BULK_ORIGIN]));

      vi.stubEnv('ELEMENT_CONSOLE_BULK_ORIGIN', '');
      expect((await consoleHandler(event)).headers?.['Content-Security-Policy']).toBe(
        CONTENT_SECURITY_POLICY,
      );
    } finally {
      vi.unstubAllEnvs();
    }
    for (const wide of [
      'https://*.amazonaws.com',
      'http://b.s3.eu-west-3.amazonaws.com',
      `${BULK_ORIGIN}/`,
      'https:',
    ]) {
      expect(() => readFunctionEnv({ ELEMENT_CONSOLE_BULK_ORIGIN: wide }), wide).toThrow(
        /ELEMENT_CONSOLE_BULK_ORIGIN/,
      );
    }
  });
});
