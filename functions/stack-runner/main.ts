/**
 * `npm run start:stack`: synthesizes the app and runs the synthesized stack on this machine (see
 * stack.ts), with the demo ServiceNow simulator, reading the same variables as `npm start`.
 */
import { join, resolve } from 'node:path';
import { REPO_ROOT } from '../../infra/paths';
import { ConfigError, readLocalConfig } from '../../shared/config';
import { readEnv } from '../../shared/config/env';
import { LOCAL_ENV } from '../../shared/config/local-config';
import { renderBanner } from '../local/banner';
import { consoleCallbackUrls, type DemoSimulatorHandle, startDemoSimulator } from '../local/demo';
import { API_BASE_PATH, CONSOLE_OAUTH_CALLBACK_PATH } from '../routes';
import { type CpuQuotaSupport, openCpuQuotas } from './cpu-share';
import { lambdaNode } from './node-runtime';
import { describeFinding, startStack } from './stack';
import { synthesizeStack } from './synthesize';

/** After a stop signal, give the emulators and function environments this long before exiting anyway. */
const SHUTDOWN_GRACE_MS = 5_000;

/** The levels the CDK app accepts as `logLevel` context (the functions' LOG_LEVEL). */
const APP_LOG_LEVELS = new Set(['DEBUG', 'INFO', 'WARN', 'ERROR']);

/** STACK_SCHEDULE_SPEEDUP: divides every schedule's rate (60: a `rate(1 minute)` rule runs every second). */
const scheduleSpeedup = (value: string | undefined): number => {
  if (value === undefined || value === '') return 1;
  const speedup = Number(value);
  if (!Number.isFinite(speedup) || speedup < 0) {
    throw new ConfigError('STACK_SCHEDULE_SPEEDUP must be a number >= 0 (0 turns schedules off)');
  }
  return speedup;
};

const main = async () => {
  let config: ReturnType<typeof readLocalConfig>;
  let speedup: number;
  try {
    config = readLocalConfig(process.env);
    speedup = scheduleSpeedup(process.env.STACK_SCHEDULE_SPEEDUP);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`snow-element: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const nodeModules = join(REPO_ROOT, 'node_modules');
  const node = lambdaNode(nodeModules);
  if (node.warning) process.stderr.write(`snow-element stack runner: ${node.warning}\n`);

  const context: Record<string, string> = { allowedHosts: config.allowedHosts.entries.join(',') };
  if (config.logLevel && APP_LOG_LEVELS.has(config.logLevel)) context.logLevel = config.logLevel;
  out('snow-element stack runner: synthesizing the app (cdk synth, cdk-nag on)...');
  const assembly = await synthesizeStack(REPO_ROOT, context);
  out(`  cloud assembly: ${assembly.dir}${assembly.fresh ? '' : ' (unchanged sources: reused)'}`);

  let simulator: DemoSimulatorHandle | undefined;
  // The demo OAuth client accepts the console's callback (added once the API listens).
  const demoRedirectUris: string[] = [];
  if (config.demoServiceNow) {
    simulator = await startDemoSimulator(config.demoServiceNowPort, config.host, demoRedirectUris);
  }
  const dataDir = resolve(config.dataDir);
  const { STACK_QUEUE_CONCURRENCY: queueConcurrency, STACK_CPU_SHARE: cpuShare } = readEnv(
    LOCAL_ENV,
    process.env,
  );
  const cpu: CpuQuotaSupport | undefined = cpuShare === 'lambda' ? openCpuQuotas() : undefined;
  if (cpu && !cpu.ok) {
    process.stderr.write(`snow-element stack runner: STACK_CPU_SHARE=lambda: ${cpu.reason}\n`);
    await simulator?.close();
    process.exit(2);
  }
  const stack = await startStack({
    assemblyDir: assembly.dir,
    nodePath: node.path,
    nodeModules,
    repoRoot: REPO_ROOT,
    port: config.port,
    host: config.host,
    dataDir,
    scheduleSpeedup: speedup,
    // STACK_QUEUE_CONCURRENCY: workers per queue (e.g. the events poll workers); default 2.
    ...(queueConcurrency === undefined ? {} : { queueConcurrency }),
    // STACK_CPU_SHARE=lambda: each function at the CPU Lambda gives its memory (1 vCPU at 1,769 MB).
    ...(cpu?.ok ? { cpuQuotas: cpu.quotas } : {}),
    secretValues: {
      ...(config.organizationSecret ? { ELEMENT_ORGANIZATION_SECRET: config.organizationSecret } : {}),
      ...(config.userSecret ? { ELEMENT_USER_SECRET: config.userSecret } : {}),
    },
    onLog: (functionName, line) => out(`[${functionName}] ${line}`),
    onAccessLog: (line) => out(`[access] ${line}`),
    onFinding: (finding) => process.stderr.write(`stack runner finding: ${describeFinding(finding)}\n`),
  }).catch(async (error: unknown) => {
    await simulator?.close();
    throw error;
  });

  demoRedirectUris.push(
    ...consoleCallbackUrls(stack.origin, `${API_BASE_PATH}${CONSOLE_OAUTH_CALLBACK_PATH}`),
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    out(`\n${signal} received, shutting down`);
    const forced = setTimeout(() => {
      process.stderr.write('snow-element stack runner: shutdown took too long, exiting\n');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    forced.unref();
    Promise.allSettled([stack.close(), simulator?.close()]).then(() => {
      if (cpu?.ok) cpu.quotas.close();
      process.exit(0);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  const secret = (variable: string, given: string | undefined) => {
    const made = stack.platformSecrets[variable];
    return {
      value: given ?? made?.value ?? '',
      source: given ? ('environment' as const) : made?.stored ? ('stored' as const) : ('generated' as const),
    };
  };
  if (cpu?.ok) out(`  CPU: each function at Lambda's share for its memory (cgroup ${cpu.quotas.group})`);
  out(
    `  functions: ${stack.functions.size} on Node ${node.version}; resource policies: ${stack.policySizes
      .map((size) => `${size.functionLogicalId} ${size.bytes} B`)
      .join(', ')}`,
  );
  process.stdout.write(
    renderBanner({
      apiUrl: `${stack.origin}${API_BASE_PATH}`,
      dataDir,
      secrets: {
        organization: secret('ELEMENT_ORGANIZATION_SECRET', config.organizationSecret),
        user: secret('ELEMENT_USER_SECRET', config.userSecret),
      },
      ...(simulator ? { simulator } : {}),
    }),
  );
};

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`snow-element stack runner: failed to start: ${message}\n`);
  process.exit(1);
});
