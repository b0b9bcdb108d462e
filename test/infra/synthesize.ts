import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { createElementApp, type ElementApp } from '../../infra/element-app';
import { REPO_ROOT } from '../../infra/paths';

/**
 * A cloud-assembly folder inside the repository (cdk.out/ is gitignored); without an explicit outdir
 * every App leaves a `cdk.outXXXX` folder in the system temp directory.
 */
export const testOutdir = (label: string): string =>
  join(REPO_ROOT, 'cdk.out', `test-${label}-${randomUUID()}`);

export const removeOutdir = (outdir: string): void => rmSync(outdir, { recursive: true, force: true });

export interface SynthesizedElement extends ElementApp {
  template: Template;
  outdir: string;
}

/**
 * The deployable app exactly as `infra/app.ts` builds it (cdk-nag plugin included), with esbuild
 * bundling skipped: template assertions do not need the bundle, and one test bundles for real.
 */
export const synthesizeElement = (context: Record<string, unknown> = {}): SynthesizedElement => {
  const outdir = testOutdir('stack');
  try {
    const element = createElementApp({ outdir, context: { 'aws:cdk:bundling-stacks': [], ...context } });
    return { ...element, template: Template.fromStack(element.stack), outdir };
  } catch (error) {
    removeOutdir(outdir);
    throw error;
  }
};
