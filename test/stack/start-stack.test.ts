/**
 * `npm run start:stack` as a user runs it: the process synthesizes (here: reuses the suite's cloud
 * assembly), prints the banner with the ready-to-paste curls, answers them, and stops on SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { READY_LINE } from '../../functions/local/banner';
import { synthesizeStack } from '../../functions/stack-runner/synthesize';
import { REPO_ROOT } from '../../infra/paths';
import { makeTempDir } from '../adapters/temp-dir';
import { call, ORG_SECRET, PLATFORM, STACK_CONTEXT, USER_SECRET } from './harness';

describe('npm run start:stack', () => {
  let child: ChildProcess | undefined;
  let banner = '';
  let apiUrl = '';
  let exit: Promise<number | null>;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    await synthesizeStack(REPO_ROOT, STACK_CONTEXT);
    const temp = await makeTempDir('start-stack');
    cleanup = temp.cleanup;
    const { LOG_LEVEL: _level, ELEMENT_ALLOWED_HOSTS: _hosts, ...inherited } = process.env;
    const started = spawn(process.execPath, ['--import', 'tsx', 'functions/stack-runner/main.ts'], {
      cwd: REPO_ROOT,
      env: {
        ...inherited,
        PORT: '0',
        DEMO_SERVICENOW_PORT: '0',
        ELEMENT_DATA_DIR: temp.dir,
        ELEMENT_ORGANIZATION_SECRET: ORG_SECRET,
        ELEMENT_USER_SECRET: USER_SECRET,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = started;
    exit = new Promise((resolve) => started.on('exit', (code) => resolve(code)));
    let stderr = '';
    started.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    await new Promise<void>((resolve, reject) => {
      started.stdout?.on('data', (chunk: Buffer) => {
        banner += chunk.toString();
        const url = new RegExp(`${READY_LINE} (\\S+)`).exec(banner)?.[1];
        if (url && banner.includes('Stop with Ctrl-C.')) {
          apiUrl = url;
          resolve();
        }
      });
      void exit.then((code) =>
        reject(new Error(`exited with ${code} before the banner: ${banner}${stderr}`)),
      );
    });
  }, 180_000);

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await cleanup?.();
  });

  it('prints the curls of npm start and answers them through the synthesized stack', async () => {
    expect(banner).toContain(`curl -s "${apiUrl}/ping"`);
    expect(banner).toContain(
      `-H "Authorization: User $ELEMENT_USER_SECRET, Organization $ELEMENT_ORGANIZATION_SECRET"`,
    );
    expect(banner).toContain('Demo ServiceNow simulator: http://127.0.0.1:');
    expect(banner).toContain('on Node v24.');
    expect((await call(`${apiUrl}/ping`)).json()).toMatchObject({ status: 'ok' });
    const elements = await call(`${apiUrl}/elements`, { auth: PLATFORM });
    expect(elements.status).toBe(200);
  });

  it('stops cleanly on SIGTERM', async () => {
    child?.kill('SIGTERM');
    expect(await exit).toBe(0);
  });
});
