/**
 * End-to-end cold start of every Lambda function of the synthesized stack, as Lambda's REPORT lines state
 * it: Init Duration (the handler module's import) plus the Duration of the first invocation, which loads
 * what its first request needs besides (SDK clients, node:crypto for SigV4, node:http for the first call
 * to ServiceNow). `lambda bundles` measures only the import; work a function moves from init to its first
 * request leaves that figure but stays on the request path here.
 *
 * The stack runs as `npm run start:stack` runs it (stack-under-test.ts) against the ServiceNow simulator.
 * Each function gets one representative request that reaches ServiceNow where the function does, on an
 * environment just recycled (so its first REPORT carries Init Duration), then the same request 5 more
 * times on the warm environment: ping GET; console GET of its page; instances POST (creates and validates
 * an instance); transformations GET of the definitions; hub GET of incidents with a token the authorizer
 * has not seen (authorizer and hub); events admin POST poll-now; bulk POST of a download, which the bulk
 * worker runs; and the events schedule after one change, which runs the poller, a poll worker and the
 * dispatcher once each.
 *
 * Baseline: an empty handler bundled as `lambda bundles` bundles it, run through the same
 * lambda-bootstrap.mjs and invoker (init + first invocation), once before each step and once at the end,
 * so it is measured under the same load. Subject: the function's cold total. No target (informational).
 *
 * STACK_CPU_SHARE=lambda (as root on Linux) runs every environment, the baseline's included, at the CPU
 * share Lambda gives its memory (functions/stack-runner/cpu-share.ts): figures close to AWS's CPU time.
 */

import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type CpuQuotas, openCpuQuotas } from '../../../functions/stack-runner/cpu-share';
import { createInvoker, type InvocationReport } from '../../../functions/stack-runner/invoker';
import { lambdaNode } from '../../../functions/stack-runner/node-runtime';
import { bundleFunction } from '../../../infra/bundling';
import { readEnv } from '../../../shared/config/env';
import { LOCAL_ENV } from '../../../shared/config/local-config';
import { type Receiver, startReceiver, until } from '../../helpers/receiver';
import { type SimulatorHandle, startSimulator } from '../../simulator';
import {
  call,
  hubAuth,
  PLATFORM,
  type StackUnderTest,
  startStackForTests,
} from '../../stack/stack-under-test';
import { median } from '../measure';
import type { BenchCase, BenchResult } from '../types';

const root = resolve(import.meta.dirname, '../../..');
const outDir = join(root, '.tmp', 'bench', 'cold-start');
const WARM_REPEATS = 5;
const WAIT_MS = 60_000;

/** The stack's functions by the start of their logical id. */
const FUNCTIONS = {
  ping: 'ApiPingFunction',
  console: 'ApiConsoleFunction',
  instances: 'ApiInstancesFunction',
  transformations: 'ApiTransformationsFunction',
  authorizer: 'AuthorizerFunction',
  hub: 'ApiHubFunction',
  events: 'ApiEventsFunction',
  bulk: 'ApiBulkFunction',
  bulkWorker: 'BulkWorkerFunction',
  eventsPoller: 'EventsPollerFunction',
  eventsPollWorker: 'EventsPollWorkerFunction',
  eventsDispatcher: 'EventsDispatcherFunction',
} as const;
type FunctionKey = keyof typeof FUNCTIONS;

interface Step {
  label: string;
  functions: FunctionKey[];
  /** One request and what it sets off (a job, a delivery): resolves once that is done. */
  request(repeat: number): Promise<void>;
}

interface Measured {
  key: FunctionKey;
  request: string;
  cold: InvocationReport;
  warmDurations: number[];
  baselineColdMs: number;
}

const coldTotal = (report: InvocationReport) => (report.initDurationMs ?? 0) + report.durationMs;

const expectStatus = (result: { status: number; text: string }, what: string, status = 200) => {
  if (result.status !== status)
    throw new Error(`${what} answered ${result.status}: ${result.text.slice(0, 300)}`);
};

/** The empty handler through the same bootstrap and invoker: cold init + first invocation. */
const emptyHandler = async (nodePath: string, cpuQuotas: CpuQuotas | undefined) => {
  await mkdir(outDir, { recursive: true });
  const entry = join(outDir, 'empty-entry.ts');
  await writeFile(entry, 'export const handler = async () => ({ statusCode: 200 });\n');
  const dir = join(outDir, 'empty');
  await rm(dir, { recursive: true, force: true });
  await bundleFunction(entry, dir, { target: 'node20', sourcemap: false });
  const reports: InvocationReport[] = [];
  const invoker = createInvoker({
    nodePath,
    maxEnvironments: 1,
    onReport: (report) => reports.push(report),
    ...(cpuQuotas ? { cpuQuotas } : {}),
  });
  const spec = {
    logicalId: 'Empty',
    name: 'empty',
    arn: 'arn:aws:lambda:us-east-1:000000000000:function:empty',
    handler: 'index.handler',
    taskRoot: dir,
    environment: { _HANDLER: 'index.handler', LAMBDA_TASK_ROOT: dir, AWS_REGION: 'us-east-1' },
    timeoutSeconds: 10,
    memoryMb: 256,
  };
  const cold: InvocationReport[] = [];
  const warm: number[] = [];
  return {
    cold,
    warm,
    /** One cold start (a fresh environment) and one warm invocation after it. */
    async measure() {
      await invoker.recycle();
      reports.length = 0;
      await invoker.invoke(spec, {});
      await invoker.invoke(spec, {});
      const [first, second] = reports;
      if (!first?.initDurationMs || !second) throw new Error('the empty handler did not report a cold start');
      cold.push(first);
      warm.push(second.durationMs);
      return coldTotal(first);
    },
    close: () => invoker.close(),
  };
};

export const benchCase: BenchCase = {
  name: 'lambda cold start: init + first invocation per function',
  async run() {
    const node = lambdaNode(join(root, 'node_modules'));
    const { STACK_CPU_SHARE: cpuShare } = readEnv(LOCAL_ENV, process.env);
    const cpu = cpuShare === 'lambda' ? openCpuQuotas() : undefined;
    if (cpu && !cpu.ok) throw new Error(`STACK_CPU_SHARE=lambda: ${cpu.reason}`);
    const cpuQuotas = cpu?.ok ? cpu.quotas : undefined;
    const empty = await emptyHandler(node.path, cpuQuotas);
    let sim: SimulatorHandle | undefined;
    let under: StackUnderTest | undefined;
    let receiver: Receiver | undefined;
    try {
      sim = await startSimulator({ data: { incidents: 200, problems: 5, changes: 5, users: 10, groups: 3 } });
      receiver = await startReceiver();
      const callbacks = receiver;
      const callbackUrl = `${receiver.url}/hooks`;
      const stack = await startStackForTests(cpuQuotas ? { cpuQuotas } : {});
      under = stack;
      const simUrl = sim.url;

      const logicalIdOf = (key: FunctionKey) => {
        const id = [...stack.stack.functions.keys()].find((logicalId) =>
          logicalId.startsWith(FUNCTIONS[key]),
        );
        if (!id) throw new Error(`no function ${FUNCTIONS[key]}* in the template`);
        return id;
      };
      const nameOf = (key: FunctionKey) => stack.stack.functions.get(logicalIdOf(key))?.name ?? '';
      const reportsSince = (from: number, key: FunctionKey) =>
        stack.reports.slice(from).filter((report) => report.functionName === nameOf(key));

      const platform = (path: string, init: Parameters<typeof call>[1] = {}) =>
        call(`${stack.api}${path}`, { auth: PLATFORM, ...init });
      const basicInstance = (name: string) => ({
        element: { key: 'servicenow' },
        name,
        configuration: { username: 'admin', password: 'admin', 'servicenow.subdomain': simUrl },
      });
      const createInstance = async (name: string) => {
        const created = await platform('/instances', { method: 'POST', json: basicInstance(name) });
        expectStatus(created, 'POST /instances');
        return created.json<{ id: number; token: string }>();
      };

      // Set-up (not measured): the instance the hub, bulk and events requests use, with events on and
      // its first poll done, so a later poll finds one change and the dispatcher delivers it.
      const main = await createInstance('cold start');
      const hub = (path: string, init: Parameters<typeof call>[1] = {}) =>
        call(`${stack.api}/hubs/helpdesk${path}`, { auth: hubAuth(main.token), ...init });
      const eventsConfig = (refreshMinutes: number) => ({
        configuration: {
          'event.notification.enabled': true,
          'event.notification.callback.url': callbackUrl,
          'event.notification.signature.key': 'cold-start-key',
          'event.poller.refresh_interval': refreshMinutes,
          'event.poller.configuration': { incidents: {} },
        },
      });
      expectStatus(
        await platform(`/instances/${main.id}`, { method: 'PATCH', json: eventsConfig(5) }),
        'PATCH events',
      );
      const firstPoll = stack.reports.length;
      await stack.stack.runSchedules();
      await until(() => reportsSince(firstPoll, 'eventsPollWorker').length > 0, 'the first poll', WAIT_MS);

      const tokens: string[] = [];
      const steps: Step[] = [
        {
          label: 'GET /ping',
          functions: ['ping'],
          request: async () => expectStatus(await call(`${stack.api}/ping`), 'GET /ping'),
        },
        {
          label: 'GET /console/',
          functions: ['console'],
          request: async () => {
            const page = await call(`${stack.api}/console/`);
            if (page.status !== 200 && page.status !== 404) expectStatus(page, 'GET /console/');
          },
        },
        {
          label: 'POST /instances (validated against ServiceNow)',
          functions: ['instances'],
          request: async (repeat) => {
            tokens.push((await createInstance(`cold start ${repeat}`)).token);
          },
        },
        {
          label: 'GET /organizations/objects/definitions',
          functions: ['transformations'],
          request: async () =>
            expectStatus(await platform('/organizations/objects/definitions'), 'GET definitions'),
        },
        {
          label: 'GET /hubs/helpdesk/incidents with a token not seen before',
          functions: ['authorizer', 'hub'],
          request: async (repeat) =>
            expectStatus(
              await call(`${stack.api}/hubs/helpdesk/incidents?pageSize=50`, {
                auth: hubAuth(tokens[repeat] ?? ''),
              }),
              'GET incidents',
            ),
        },
        {
          label: 'POST /instances/{id}/events/poll',
          functions: ['events'],
          request: async () =>
            expectStatus(await platform(`/instances/${main.id}/events/poll`, { method: 'POST' }), 'poll now'),
        },
        {
          label: 'POST /hubs/helpdesk/bulk/download (run by the bulk worker)',
          functions: ['bulk', 'bulkWorker'],
          request: async () => {
            const job = await hub('/bulk/download', {
              method: 'POST',
              json: {
                objectName: 'incidents',
                format: 'text/csv',
                selectFields: ['number', 'short_description'],
              },
            });
            expectStatus(job, 'POST bulk download');
            const { id } = job.json<{ id: string }>();
            let status = '';
            for (const deadline = Date.now() + WAIT_MS; Date.now() < deadline; ) {
              status = (await hub(`/bulk/${id}/status`)).json<{ status: string }>().status;
              if (['COMPLETED', 'ERROR', 'FAILED'].includes(status)) break;
              await sleep(100);
            }
            if (status !== 'COMPLETED') throw new Error(`bulk job ${id} ended ${status}`);
          },
        },
        {
          label: 'events schedule after one change (poller, poll worker, dispatcher)',
          functions: ['eventsPoller', 'eventsPollWorker', 'eventsDispatcher'],
          request: async (repeat) => {
            // A new refresh interval makes the instance due now; the new incident is the one change.
            expectStatus(
              await platform(`/instances/${main.id}`, {
                method: 'PATCH',
                json: eventsConfig(6 + (repeat % 2)),
              }),
              'PATCH refresh interval',
            );
            const created = await hub('/incidents', {
              method: 'POST',
              json: { short_description: `cold start change ${repeat}` },
            });
            expectStatus(created, 'POST incident');
            const sysId = created.json<{ sys_id: string }>().sys_id;
            const from = stack.reports.length;
            await stack.stack.runSchedules();
            await until(
              () =>
                callbacks.requests.some((request) => request.body.includes(sysId)) &&
                reportsSince(from, 'eventsDispatcher').length > 0,
              `delivery of ${sysId}`,
              WAIT_MS,
            );
          },
        },
      ];

      const measured: Measured[] = [];
      for (const step of steps) {
        const baselineColdMs = await empty.measure();
        for (const key of step.functions) await stack.stack.recycleEnvironments(logicalIdOf(key));
        const windows: number[] = [];
        for (let repeat = 0; repeat <= WARM_REPEATS; repeat += 1) {
          const from = stack.reports.length;
          windows.push(from);
          await step.request(repeat);
          // A background function may report after the request's effect (a delivery, a COMPLETED job):
          // the next repeat starts once each has, so it finds the environment idle, as Lambda would.
          await until(
            () => step.functions.every((key) => reportsSince(from, key).length > 0),
            `the reports of ${step.functions.join(', ')}`,
            WAIT_MS,
          );
        }
        windows.push(stack.reports.length);
        for (const key of step.functions) {
          const reportsOf = (repeat: number) =>
            stack.reports
              .slice(windows[repeat], windows[repeat + 1])
              .filter((report) => report.functionName === nameOf(key));
          const cold = reportsOf(0)[0];
          if (!cold?.initDurationMs) throw new Error(`${key}: no cold start in "${step.label}"`);
          // A queue-driven function may get two batches at once, and a second environment then starts
          // cold as Lambda would scale out: the warm figure is the first invocation of a reused one.
          const warmDurations = Array.from({ length: WARM_REPEATS }, (_, index) => {
            const warm = reportsOf(index + 1).find((report) => report.initDurationMs === undefined);
            if (!warm) throw new Error(`${key}: repeat ${index + 1} had no warm invocation`);
            return warm.durationMs;
          });
          measured.push({ key, request: step.label, cold, warmDurations, baselineColdMs });
        }
      }
      await empty.measure();

      const emptyColdMs = median(empty.cold.map(coldTotal));
      const emptyInitMs = median(empty.cold.map((report) => report.initDurationMs ?? 0));
      const emptyFirstMs = median(empty.cold.map((report) => report.durationMs));
      return measured.map(
        ({ key, request, cold, warmDurations, baselineColdMs }): BenchResult => ({
          figures: {
            function: key,
            name: cold.functionName,
            request,
            node: stack.nodeVersion,
            'memory size MB': cold.memorySizeMb,
            'CPU share': cpuQuotas ? "Lambda's for the memory size" : 'a free core',
            'Init Duration ms': cold.initDurationMs ?? 0,
            'first invocation Duration ms': cold.durationMs,
            'cold total ms (init + first)': coldTotal(cold),
            'Billed Duration of the cold invocation ms': cold.billedDurationMs,
            [`warm Duration median of ${WARM_REPEATS} ms`]: median(warmDurations),
            'first invocation / warm median': cold.durationMs / median(warmDurations),
            'Max Memory Used MB (cold invocation)': cold.maxMemoryUsedMb,
            'empty handler cold total ms, measured just before this step': baselineColdMs,
            'empty handler Init / first invocation / warm ms (medians of the run)': `${emptyInitMs.toFixed(2)} / ${emptyFirstMs.toFixed(2)} / ${median(empty.warm).toFixed(2)}`,
            'empty handler cold starts in the run': empty.cold.length,
          },
          subject: {
            label: `${key} cold total (Init Duration + first Duration)`,
            value: coldTotal(cold),
            unit: 'ms',
          },
          baseline: { label: 'empty handler cold total (median of the run)', value: emptyColdMs, unit: 'ms' },
          direction: 'lower-is-better',
        }),
      );
    } finally {
      await under?.close();
      await sim?.close();
      await receiver?.close();
      await empty.close();
      cpuQuotas?.close();
    }
  },
};
