/**
 * Child processes of the crash suite: local mode exactly as `npm start` runs it (functions/local/main.ts,
 * bundled once so each restart takes a fraction of a second) and the ServiceNow simulator in a process
 * of its own. Local mode is only ever stopped with SIGKILL here.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { READY_LINE } from '../../functions/local/banner';

const ROOT = join(import.meta.dirname, '../..');

export interface Child {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const run = (
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
): Promise<Child & { match: string }> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
      child.on('exit', (code, signal) => done({ code, signal })),
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = ready.exec(output)?.[1];
      if (match !== undefined) resolve({ child, output: () => output, exited, match });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    void exited.then(({ code, signal }) =>
      reject(new Error(`${args.join(' ')} exited (${code ?? signal}) before it was ready:\n${output}`)),
    );
  });

/**
 * functions/local/main.ts and every function entry it imports by path (functions/routes.ts), bundled
 * together (shared chunks, so they share one module instance as under tsx); a resolve hook sends the
 * local server's import of `functions/<name>/<entry>.ts` to its bundle. Returns the node arguments.
 */
export const bundleLocalMode = async (): Promise<{ args: string[]; dir: string }> => {
  const dir = join(ROOT, 'node_modules', '.cache', `snow-element-crash-${process.pid}`);
  await mkdir(dir, { recursive: true });
  const { AUTHORIZER_FUNCTION, BACKGROUND_FUNCTIONS, LAMBDA_FUNCTIONS } = await import(
    '../../functions/routes'
  );
  const entries = [
    'functions/local/main.ts',
    ...new Set(
      [...Object.values(LAMBDA_FUNCTIONS), ...Object.values(BACKGROUND_FUNCTIONS), AUTHORIZER_FUNCTION].map(
        (definition) => definition.entry,
      ),
    ),
  ];
  await build({
    entryPoints: entries.map((entry) => join(ROOT, entry)),
    outbase: ROOT,
    outdir: dir,
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outExtension: { '.js': '.mjs' },
    logLevel: 'warning',
  });
  const bundled = Object.fromEntries(
    entries.map((entry) => [entry, pathToFileURL(join(dir, entry.replace(/\.ts$/, '.mjs'))).href]),
  );
  await writeFile(
    join(dir, 'hooks.mjs'),
    `const bundled = ${JSON.stringify(bundled)};
export async function resolve(specifier, context, next) {
  for (const [entry, url] of Object.entries(bundled)) {
    if (specifier.endsWith('/' + entry)) return { url, shortCircuit: true };
  }
  return next(specifier, context);
}
`,
  );
  await writeFile(
    join(dir, 'register.mjs'),
    "import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n",
  );
  return { args: ['--import', join(dir, 'register.mjs'), join(dir, 'functions/local/main.mjs')], dir };
};

export const startSimulatorProcess = async (env: Record<string, string>) => {
  const started = await run(
    ['--import', 'tsx', 'test/crash/simulator-main.ts'],
    env,
    /SIMULATOR_URL (\S+)\n/,
  );
  return { ...started, url: started.match };
};

export const startLocalMode = async (args: string[], env: Record<string, string>) => {
  const started = await run(
    args,
    { PORT: '0', DEMO_SERVICENOW: '0', LOG_LEVEL: 'ERROR', ...env },
    new RegExp(`${READY_LINE} (\\S+)\\n`),
  );
  return { ...started, apiUrl: started.match };
};

/** kill -9, and wait until the process is gone. */
export const killHard = async (child: Child): Promise<void> => {
  if (child.child.exitCode === null && child.child.signalCode === null) child.child.kill('SIGKILL');
  await child.exited;
};
