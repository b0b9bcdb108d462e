/**
 * The synthesized stack on the stack runner for vitest files: the start logic (stack-under-test.ts,
 * shared with the benchmarks) and the check every end-to-end suite ends with.
 */
import { expect } from 'vitest';
import { describeFinding, type Finding } from '../../functions/stack-runner/stack';

export {
  type CallResult,
  call,
  hubAuth,
  ORG_SECRET,
  PLATFORM,
  STACK_CONTEXT,
  type StackUnderTest,
  startStackForTests,
  USER_SECRET,
} from './stack-under-test';

/** What the deployed stack must never do: refuse its own calls, miss a variable, answer over 6 MB. */
export const DEPLOYMENT_BREAKERS: readonly Finding['kind'][] = [
  'access-denied',
  'missing-environment',
  'response-too-large',
  'resource-count',
];

export const expectNoDeploymentBreakers = (findings: readonly Finding[]): void => {
  const breakers = findings
    .filter((finding) => DEPLOYMENT_BREAKERS.includes(finding.kind))
    .map(describeFinding);
  expect(breakers).toEqual([]);
};
