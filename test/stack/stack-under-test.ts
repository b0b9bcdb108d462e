/**
 * The synthesized stack on the stack runner, for end-to-end tests and benchmarks (no vitest here):
 * synthesized once per set of sources (cdk.out/stack-<hash>, shared by every file and by
 * `npm run start:stack`), run with known platform secrets, its function logs, REPORT lines and access
 * log lines collected instead of printed.
 */
import { join } from 'node:path';
import { API_BASE_PATH } from '../../functions/routes';
import type { CpuQuotas } from '../../functions/stack-runner/cpu-share';
import type { InvocationReport } from '../../functions/stack-runner/invoker';
import { lambdaNode } from '../../functions/stack-runner/node-runtime';
import { type RunningStack, startStack } from '../../functions/stack-runner/stack';
import { synthesizeStack } from '../../functions/stack-runner/synthesize';
import type { CfnTemplate } from '../../functions/stack-runner/template';
import { REPO_ROOT } from '../../infra/paths';
import { makeTempDir } from '../adapters/temp-dir';

export const ORG_SECRET = 'stack-org-secret';
export const USER_SECRET = 'stack-user-secret';
export const PLATFORM = `User ${USER_SECRET}, Organization ${ORG_SECRET}`;
export const hubAuth = (token: string) => `User ${USER_SECRET}, Element ${token}`;

/** The context `npm run start:stack` synthesizes with by default, so both share one cloud assembly. */
export const STACK_CONTEXT = { allowedHosts: 'localhost,127.0.0.1' };

const NODE_MODULES = join(REPO_ROOT, 'node_modules');

export interface StackUnderTest {
  stack: RunningStack;
  /** `http://127.0.0.1:<port>/elements/api-v2` */
  api: string;
  logs: string[];
  /** Every invocation's REPORT, in order. */
  reports: InvocationReport[];
  accessLog: string[];
  nodeVersion: string;
  close(): Promise<void>;
}

export const startStackForTests = async (
  options: {
    mutateTemplate?(template: CfnTemplate): void;
    onReport?(report: InvocationReport): void;
    cpuQuotas?: CpuQuotas;
  } = {},
): Promise<StackUnderTest> => {
  const { dir } = await synthesizeStack(REPO_ROOT, STACK_CONTEXT);
  const node = lambdaNode(NODE_MODULES);
  const temp = await makeTempDir('stack-runner');
  const logs: string[] = [];
  const accessLog: string[] = [];
  const reports: InvocationReport[] = [];
  const stack = await startStack({
    assemblyDir: dir,
    nodePath: node.path,
    nodeModules: NODE_MODULES,
    repoRoot: REPO_ROOT,
    port: 0,
    dataDir: temp.dir,
    // Schedules run when a test asks (runSchedules), not on their timer.
    scheduleSpeedup: 0,
    secretValues: { ELEMENT_ORGANIZATION_SECRET: ORG_SECRET, ELEMENT_USER_SECRET: USER_SECRET },
    ...(options.mutateTemplate ? { mutateTemplate: options.mutateTemplate } : {}),
    ...(options.cpuQuotas ? { cpuQuotas: options.cpuQuotas } : {}),
    onLog: (functionName, line) => logs.push(`[${functionName}] ${line}`),
    onReport: (report) => {
      reports.push(report);
      options.onReport?.(report);
    },
    onAccessLog: (line) => accessLog.push(line),
  });
  return {
    stack,
    api: `${stack.origin}${API_BASE_PATH}`,
    logs,
    reports,
    accessLog,
    nodeVersion: node.version,
    close: async () => {
      await stack.close();
      await temp.cleanup();
    },
  };
};

export interface CallResult {
  status: number;
  headers: Headers;
  text: string;
  json<T = unknown>(): T;
}

export const call = async (
  url: string,
  init: {
    method?: string;
    auth?: string;
    json?: unknown;
    body?: RequestInit['body'];
    headers?: Record<string, string>;
  } = {},
): Promise<CallResult> => {
  const headers: Record<string, string> = { ...init.headers };
  if (init.auth) headers.Authorization = init.auth;
  if (init.json !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    headers,
    ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : init.body ? { body: init.body } : {}),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: <T>() => JSON.parse(text) as T };
};
