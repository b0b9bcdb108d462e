/**
 * Lambda's CPU share in the stack runner: the quota written for each execution environment, on cgroup
 * v1 and v2 layouts built in a temp folder (the kernel's files are plain files to the writer), and the
 * invoker limiting each environment it starts and releasing it when the process ends.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CpuQuotas, lambdaVcpus, openCpuQuotas } from '../../functions/stack-runner/cpu-share';
import { createInvoker, type FunctionSpec } from '../../functions/stack-runner/invoker';
import { lambdaNode } from '../../functions/stack-runner/node-runtime';
import { REPO_ROOT } from '../../infra/paths';
import { makeTempDir } from '../adapters/temp-dir';

describe("Lambda's CPU share", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let task: string;
  beforeAll(async () => {
    ({ dir, cleanup } = await makeTempDir('cpu-share'));
    task = join(dir, 'task');
    mkdirSync(task);
    writeFileSync(join(task, 'index.mjs'), 'export const handler = async () => process.pid;\n');
  });

  /** A function answering its process id, run by an invoker that takes its CPU share from `quotas`. */
  const functionWith = (quotas: CpuQuotas, name: string, memoryMb: number) => {
    const spec: FunctionSpec = {
      logicalId: 'Fn',
      name,
      arn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
      handler: 'index.handler',
      taskRoot: task,
      environment: { _HANDLER: 'index.handler', LAMBDA_TASK_ROOT: task },
      timeoutSeconds: 5,
      memoryMb,
    };
    const invoker = createInvoker({
      nodePath: lambdaNode(join(REPO_ROOT, 'node_modules')).path,
      maxEnvironments: 1,
      cpuQuotas: quotas,
    });
    return { spec, invoker };
  };
  afterAll(() => cleanup());

  it('is one vCPU at 1,769 MB, in proportion to memory, never above 6', () => {
    expect(lambdaVcpus(1769)).toBe(1);
    expect(lambdaVcpus(256)).toBeCloseTo(0.1447, 4);
    expect(lambdaVcpus(10_240)).toBeCloseTo(5.79, 2);
    expect(lambdaVcpus(20_000)).toBe(6);
  });

  it('writes a cgroup v1 quota and the process of each environment', () => {
    const root = join(dir, 'v1');
    mkdirSync(join(root, 'cpu'), { recursive: true });
    writeFileSync(join(root, 'cpu', 'cpu.cfs_quota_us'), '-1');
    const support = openCpuQuotas(root);
    if (!support.ok) throw new Error(support.reason);
    support.quotas.limit(4321, lambdaVcpus(256));
    const environment = join(support.quotas.group, 'environment-1');
    expect(readFileSync(join(environment, 'cpu.cfs_period_us'), 'utf8')).toBe('20000');
    expect(readFileSync(join(environment, 'cpu.cfs_quota_us'), 'utf8')).toBe('2894');
    expect(readFileSync(join(environment, 'cgroup.procs'), 'utf8')).toBe('4321');
    expect(support.quotas.group).toBe(join(root, 'cpu', `snow-element-stack-${process.pid}`));
  });

  it('writes a cgroup v2 cpu.max and lets the groups below have cpu limits', () => {
    const root = join(dir, 'v2');
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
    const support = openCpuQuotas(root);
    if (!support.ok) throw new Error(support.reason);
    support.quotas.limit(99, lambdaVcpus(3538));
    expect(readFileSync(join(root, 'cgroup.subtree_control'), 'utf8')).toBe('+cpu');
    expect(readFileSync(join(support.quotas.group, 'cgroup.subtree_control'), 'utf8')).toBe('+cpu');
    const environment = join(support.quotas.group, 'environment-1');
    expect(readFileSync(join(environment, 'cpu.max'), 'utf8')).toBe('40000 20000');
    expect(readFileSync(join(environment, 'cgroup.procs'), 'utf8')).toBe('99');
  });

  it('says why when there is no cpu controller', () => {
    const root = join(dir, 'none');
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, 'cgroup.controllers'), 'memory pids\n');
    const support = openCpuQuotas(root);
    expect(support).toEqual({ ok: false, reason: expect.stringContaining('no cgroup cpu controller') });
    expect(existsSync(join(root, `snow-element-stack-${process.pid}`))).toBe(false);
  });

  it("limits each environment the invoker starts to its memory's share, and releases it when it ends", async () => {
    const limits: { pid: number; vcpus: number }[] = [];
    let released = 0;
    const quotas: CpuQuotas = {
      group: 'recorded',
      limit(pid, vcpus) {
        limits.push({ pid, vcpus });
        return () => {
          released += 1;
        };
      },
      close() {},
    };
    const { spec, invoker } = functionWith(quotas, 'fn', 512);
    try {
      const result = await invoker.invoke(spec, {});
      if (!result.ok) throw new Error(result.errorMessage);
      expect(limits).toEqual([{ pid: Number(result.payload), vcpus: lambdaVcpus(512) }]);
      expect(released).toBe(0);
      await invoker.recycle('fn');
      await expect.poll(() => released).toBe(1);
    } finally {
      await invoker.close();
    }
  });

  it('starts no environment without its share: the invocation fails and the process is killed', async () => {
    let limited: number | undefined;
    const quotas: CpuQuotas = {
      group: 'refusing',
      limit(pid) {
        limited = pid;
        throw new Error('cgroup refused the process');
      },
      close() {},
    };
    const { spec, invoker } = functionWith(quotas, 'refused', 256);
    try {
      await expect(invoker.invoke(spec, {})).rejects.toThrow('cgroup refused the process');
      expect(limited).toBeGreaterThan(0);
      const alive = () => {
        try {
          process.kill(limited ?? 0, 0);
          return true;
        } catch {
          return false;
        }
      };
      await expect.poll(alive).toBe(false);
    } finally {
      await invoker.close();
    }
  });
});
