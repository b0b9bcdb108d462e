import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { READY_LINE } from '../../functions/local/banner';

const ROOT = join(import.meta.dirname, '../..');

export interface LocalProcess {
  child: ChildProcess;
  banner: string;
  apiUrl: string;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Runs what `npm start` runs (`tsx functions/local/main.ts`) as a child process, on a free port and
 * without the demo simulator unless `env` says otherwise, and waits for the banner's last line.
 */
export const startLocalProcess = (env: Record<string, string>): Promise<LocalProcess> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'functions/local/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', DEMO_SERVICENOW: '0', LOG_LEVEL: 'WARN', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
      child.on('exit', (code, signal) => done({ code, signal })),
    );
    let stdout = '';
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const url = new RegExp(`${READY_LINE} (\\S+)`).exec(stdout)?.[1];
      if (url && stdout.includes('Stop with Ctrl-C.')) {
        resolve({ child, banner: stdout, apiUrl: url, stderr: () => stderr, exit });
      }
    });
    exit.then(({ code }) => reject(new Error(`exited with ${code} before the banner: ${stdout}${stderr}`)));
  });

/** The secrets the banner printed (generated ones only; chosen ones are never printed). */
export const secretsIn = (banner: string) => ({
  organization: /Organization secret: ([0-9a-f]{64})/.exec(banner)?.[1],
  user: /User secret\s*: ([0-9a-f]{64})/.exec(banner)?.[1],
});
