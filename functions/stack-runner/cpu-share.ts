/**
 * Lambda's CPU share, emulated. Lambda gives a function CPU in proportion to its memory (one vCPU at
 * 1,769 MB, about 6 at 10,240 MB, the largest size), during init and invocations alike: a 256 MB function has about a
 * seventh of a vCPU, so its cold start's CPU work takes about seven times as long as on a free core.
 * With a writable cgroup cpu controller (Linux: v2 `cpu.max`, or v1 `cpu.cfs_quota_us`), each execution
 * environment's process gets that quota. Opt-in (`STACK_CPU_SHARE=lambda`): everything runs slower.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const LAMBDA_MB_PER_VCPU = 1769;
const LAMBDA_MAX_VCPUS = 6;
// Short periods spread a small quota evenly (a 256 MB function runs 2.9 ms of every 20), as a fine-grained
// share would; the kernel takes quotas down to 1 ms.
const PERIOD_US = 20_000;

/** The vCPUs Lambda gives a function of `memoryMb`. */
export const lambdaVcpus = (memoryMb: number): number =>
  Math.min(LAMBDA_MAX_VCPUS, memoryMb / LAMBDA_MB_PER_VCPU);

export interface CpuQuotas {
  /** Where the quotas' groups are (a group of this process under the controller). */
  readonly group: string;
  /** Limits a process to `vcpus`; the returned function removes its group once the process has exited. */
  limit(pid: number, vcpus: number): () => void;
  /** Removes this process's group (every limited process has exited). */
  close(): void;
}

export type CpuQuotaSupport = { ok: true; quotas: CpuQuotas } | { ok: false; reason: string };

interface Layout {
  /** The controller's folder, where this process's group goes. */
  base: string;
  /** Writes the quota of a group folder. */
  writeQuota(group: string, quotaUs: number): void;
  /** Lets a new group's children have cpu limits (v2 only). */
  enableChildren(group: string): void;
}

const v2Layout = (root: string): Layout => ({
  base: root,
  writeQuota: (group, quotaUs) => writeFileSync(join(group, 'cpu.max'), `${quotaUs} ${PERIOD_US}`),
  enableChildren: (group) => writeFileSync(join(group, 'cgroup.subtree_control'), '+cpu'),
});

const v1Layout = (root: string): Layout => ({
  base: join(root, 'cpu'),
  writeQuota: (group, quotaUs) => {
    writeFileSync(join(group, 'cpu.cfs_period_us'), String(PERIOD_US));
    writeFileSync(join(group, 'cpu.cfs_quota_us'), String(quotaUs));
  },
  enableChildren: () => {},
});

const layoutOf = (root: string): Layout | undefined => {
  const controllers = join(root, 'cgroup.controllers');
  if (existsSync(controllers) && readFileSync(controllers, 'utf8').split(/\s+/).includes('cpu')) {
    return v2Layout(root);
  }
  if (existsSync(join(root, 'cpu', 'cpu.cfs_quota_us'))) return v1Layout(root);
  return undefined;
};

const removeGroup = (group: string) => {
  try {
    rmdirSync(group);
  } catch {
    // Still holds a process (it is exiting) or already gone: the kernel keeps no quota for an empty group.
  }
};

/** Opens the cgroup cpu controller under `root`, or says why it cannot be used. */
export const openCpuQuotas = (root = '/sys/fs/cgroup'): CpuQuotaSupport => {
  const layout = layoutOf(root);
  if (layout === undefined) {
    return { ok: false, reason: `no cgroup cpu controller under ${root} (Linux cgroup v1 or v2 with cpu)` };
  }
  const group = join(layout.base, `snow-element-stack-${process.pid}`);
  try {
    if (layout.base === root) layout.enableChildren(root);
    mkdirSync(group, { recursive: true });
    layout.enableChildren(group);
  } catch (error) {
    return { ok: false, reason: `cannot create a cgroup under ${layout.base}: ${(error as Error).message}` };
  }
  let environments = 0;
  return {
    ok: true,
    quotas: {
      group,
      limit(pid, vcpus) {
        environments += 1;
        const environment = join(group, `environment-${environments}`);
        mkdirSync(environment);
        layout.writeQuota(environment, Math.max(1000, Math.round(vcpus * PERIOD_US)));
        writeFileSync(join(environment, 'cgroup.procs'), String(pid));
        return () => removeGroup(environment);
      },
      close: () => removeGroup(group),
    },
  };
};
