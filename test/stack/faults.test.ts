/**
 * The stack runner fails a deployment that would break: the synthesized template with one environment
 * variable, one IAM statement and one function's invoke permissions removed, run as deployed, reports
 * each of them, and the calls that need them fail the way they would in AWS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyStatement } from '../../functions/stack-runner/iam';
import { missingRequiredVariables } from '../../functions/stack-runner/required-environment';
import { describeFinding } from '../../functions/stack-runner/stack';
import { synthesizeStack } from '../../functions/stack-runner/synthesize';
import {
  type CfnTemplate,
  readCloudAssembly,
  referencedLogicalId,
  resourcesOfType,
} from '../../functions/stack-runner/template';
import { REPO_ROOT } from '../../infra/paths';
import {
  call,
  expectNoDeploymentBreakers,
  hubAuth,
  PLATFORM,
  STACK_CONTEXT,
  type StackUnderTest,
  startStackForTests,
} from './harness';

/** The function behind the route `routeKey`, found through its integration. */
const functionOfRoute = (template: CfnTemplate, routeKey: string): string => {
  const route = resourcesOfType(template, 'AWS::ApiGatewayV2::Route').find(
    ([, candidate]) => candidate.Properties?.RouteKey === routeKey,
  );
  const target = JSON.stringify(route?.[1].Properties?.Target);
  const integration = resourcesOfType(template, 'AWS::ApiGatewayV2::Integration').find(([id]) =>
    target.includes(`"${id}"`),
  );
  return referencedLogicalId(integration?.[1].Properties?.IntegrationUri) ?? '';
};

const authorizerFunction = (template: CfnTemplate): string => {
  const [, authorizer] = resourcesOfType(template, 'AWS::ApiGatewayV2::Authorizer')[0] ?? [];
  const uri = JSON.stringify(authorizer?.Properties?.AuthorizerUri);
  return (
    resourcesOfType(template, 'AWS::Lambda::Function').find(([id]) => uri.includes(`"${id}"`))?.[0] ?? ''
  );
};

const variablesOf = (template: CfnTemplate, functionId: string) =>
  (
    template.Resources[functionId]?.Properties?.Environment as
      | { Variables: Record<string, unknown> }
      | undefined
  )?.Variables ?? {};

/** Removes the statement `sid` from the policies attached to the function's role. */
const removeStatement = (template: CfnTemplate, functionId: string, sid: string): void => {
  const roleId = referencedLogicalId(template.Resources[functionId]?.Properties?.Role);
  for (const [, policy] of resourcesOfType(template, 'AWS::IAM::Policy')) {
    if (!JSON.stringify(policy.Properties?.Roles).includes(`"${roleId}"`)) continue;
    const document = policy.Properties?.PolicyDocument as { Statement: PolicyStatement[] };
    document.Statement = document.Statement.filter((statement) => statement.Sid !== sid);
  }
};

const LIST_INSTANCES = 'GET /elements/api-v2/instances';
const PING = 'GET /elements/api-v2/ping';

/** Removes every AWS::Lambda::Permission of the function: API Gateway may no longer invoke it. */
const removeInvokePermissions = (template: CfnTemplate, functionId: string): void => {
  for (const [id, permission] of resourcesOfType(template, 'AWS::Lambda::Permission')) {
    if (referencedLogicalId(permission.Properties?.FunctionName) === functionId)
      delete template.Resources[id];
  }
};

describe('each function gets the environment its bundled code requires', () => {
  let assemblyDir = '';
  beforeAll(async () => {
    assemblyDir = (await synthesizeStack(REPO_ROOT, STACK_CONTEXT)).dir;
  }, 180_000);

  it('finds nothing missing in the synthesized template', () => {
    expect(missingRequiredVariables(readCloudAssembly(assemblyDir), REPO_ROOT)).toEqual([]);
  });

  it('names the function and variable once the template lacks one', () => {
    const assembly = readCloudAssembly(assemblyDir);
    const authorizer = authorizerFunction(assembly.template);
    delete variablesOf(assembly.template, authorizer).ELEMENT_STATE_TABLE;
    expect(missingRequiredVariables(assembly, REPO_ROOT)).toEqual([
      { functionLogicalId: authorizer, variable: 'ELEMENT_STATE_TABLE' },
    ]);
  });
});

describe('the stack runner on a template missing a variable, an IAM statement and an invoke permission', () => {
  let under: StackUnderTest;
  let authorizer = '';
  let instances = '';
  let ping = '';
  beforeAll(async () => {
    under = await startStackForTests({
      mutateTemplate: (template) => {
        authorizer = authorizerFunction(template);
        instances = functionOfRoute(template, LIST_INSTANCES);
        delete variablesOf(template, authorizer).ELEMENT_STATE_TABLE;
        removeStatement(template, instances, 'StateTableItems');
        ping = functionOfRoute(template, PING);
        removeInvokePermissions(template, ping);
      },
    });
  }, 180_000);
  afterAll(async () => {
    await under?.close();
  });

  it('answers 500 as API Gateway does when the authorizer cannot start, and reports the variable', async () => {
    const hub = await call(`${under.api}/hubs/helpdesk/ping`, { auth: hubAuth('not-a-token') });
    expect(hub).toMatchObject({ status: 500, text: '{"message":"Internal Server Error"}' });
    expect(under.stack.findings).toContainEqual(
      expect.objectContaining({
        kind: 'missing-environment',
        functionName: under.stack.functions.get(authorizer)?.name,
        variable: 'ELEMENT_STATE_TABLE',
      }),
    );
  });

  it('refuses the state table call the role no longer allows, as AWS does, and reports it', async () => {
    const listed = await call(`${under.api}/instances`, { auth: PLATFORM });
    expect(listed.status).toBeGreaterThanOrEqual(500);
    const denied = under.stack.findings.find(
      (finding) => finding.kind === 'access-denied' && finding.action.startsWith('dynamodb:'),
    );
    expect(denied).toMatchObject({
      functionName: under.stack.functions.get(instances)?.name,
      action: 'dynamodb:Query',
      message: expect.stringContaining('is not authorized to perform: dynamodb:Query'),
    });
    expect(under.logs.join('\n')).toContain('AccessDeniedException');
  });

  it('answers 500 for a route whose function API Gateway may not invoke, and reports it', async () => {
    expect(await call(`${under.api}/ping`)).toMatchObject({
      status: 500,
      text: '{"message":"Internal Server Error"}',
    });
    expect(under.stack.findings).toContainEqual(
      expect.objectContaining({
        kind: 'access-denied',
        functionName: under.stack.functions.get(ping)?.name,
        action: 'lambda:InvokeFunction',
      }),
    );
  });

  it('fails the end-to-end check on all of them', () => {
    expect(() => expectNoDeploymentBreakers(under.stack.findings)).toThrow();
    const described = under.stack.findings.map(describeFinding).join('\n');
    expect(described).toContain('needs ELEMENT_STATE_TABLE');
    expect(described).toContain('AccessDenied');
  });
});
