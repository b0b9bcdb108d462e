import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { afterAll, beforeAll, expect } from 'vitest';
import { API_BASE_PATH, type LambdaFunctionDefinition, type RouteDefinition } from '../../functions/routes';
import {
  ApiConstruct,
  ElementAuthorizer,
  type ElementFunctionDefaults,
  Foundation,
  HubConstruct,
  InstancesConstruct,
} from '../../infra/constructs';
import { createElementApp, type ElementApp } from '../../infra/element-app';
import { REPO_ROOT } from '../../infra/paths';
import type { SnowElementStack } from '../../infra/stack';

/**
 * A cloud-assembly folder inside the repository (cdk.out/ is gitignored); without an explicit outdir
 * every App leaves a `cdk.outXXXX` folder in the system temp directory.
 */
export const testOutdir = (label: string): string =>
  join(REPO_ROOT, 'cdk.out', `test-${label}-${randomUUID()}`);

export const removeOutdir = (outdir: string): void => rmSync(outdir, { recursive: true, force: true });

/**
 * Folders of the apps a test file synthesizes besides its suite's, removed after its tests: the answer
 * registers a folder and gives it back.
 */
export const removedAfterSuite = (): ((outdir: string) => string) => {
  const outdirs: string[] = [];
  afterAll(() => {
    for (const outdir of outdirs) removeOutdir(outdir);
  });
  return (outdir) => {
    outdirs.push(outdir);
    return outdir;
  };
};

/** A bare stack of its own (bundling skipped) for tests that wire constructs by hand. */
export const bareStack = (outdir: string, stackName: string): Stack =>
  new Stack(new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } }), stackName);

/** Function settings of the hand-wired test stacks (the element stack takes its own from context). */
export const TEST_FUNCTION_DEFAULTS = {
  serviceName: 'test',
  logLevel: 'INFO',
  logRetention: logs.RetentionDays.ONE_WEEK,
} as const satisfies Omit<ElementFunctionDefaults, 'environment'>;

/**
 * The API with both authorizers and the instances construct on `stack`, the hub construct too unless
 * `hub` is false: the least the authorizer and hub wiring needs.
 */
export const wireApi = (
  stack: Stack,
  options: { routes?: RouteDefinition[]; hub?: boolean } = {},
): { api: ApiConstruct; authorizer: ElementAuthorizer; template: Template } => {
  const foundation = new Foundation(stack, 'Foundation', { allowedHosts: '' });
  const authorizer = new ElementAuthorizer(stack, 'Authorizer', { foundation, ...TEST_FUNCTION_DEFAULTS });
  const api = new ApiConstruct(stack, 'Api', {
    environment: foundation.functionEnvironment,
    ...TEST_FUNCTION_DEFAULTS,
    ...(options.routes === undefined ? {} : { routes: options.routes }),
    authorizers: authorizer.authorizers,
  });
  new InstancesConstruct(stack, 'Instances', { foundation, instancesFunction: api.functions.instances });
  if (options.hub !== false) new HubConstruct(stack, 'Hub', { foundation, hubFunction: api.functions.hub });
  return { api, authorizer, template: Template.fromStack(stack) };
};

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

/**
 * The synthesized app of a test file: synthesized once before its tests, its folder removed after them.
 * Read it inside tests only (it is a stand-in until `beforeAll` has run).
 */
export const synthesizeForSuite = (): SynthesizedElement => {
  let element: SynthesizedElement | undefined;
  beforeAll(() => {
    element = synthesizeElement();
  });
  afterAll(() => {
    if (element) removeOutdir(element.outdir);
  });
  return new Proxy({} as SynthesizedElement, {
    get: (_target, key) => {
      if (element === undefined) throw new Error('The app is synthesized in beforeAll; read it in a test');
      return Reflect.get(element, key);
    },
  });
};

/** `{Fn::GetAtt: [id, Arn]}` as the template spells a resource's ARN. */
export const arnOf = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });

/** Queries of a synthesized template by logical id, reading `element.template` when called. */
export const templateQueries = (element: { template: Template }) => {
  const resource = (type: string, id: string) => element.template.findResources(type)[id];
  return {
    resource,
    variablesOf: (functionId: string): Record<string, unknown> =>
      resource('AWS::Lambda::Function', functionId)?.Properties.Environment.Variables,
    /** The event source mappings reading the queue `queueId`. */
    mappingsOf: (queueId: string) =>
      Object.values(element.template.findResources('AWS::Lambda::EventSourceMapping')).filter(
        (mapping) => JSON.stringify(mapping.Properties.EventSourceArn) === JSON.stringify(arnOf(queueId)),
      ),
    queuePolicyOf: (queueId: string) =>
      Object.values(element.template.findResources('AWS::SQS::QueuePolicy')).filter(
        (policy) => JSON.stringify(policy.Properties.Queues) === JSON.stringify([{ Ref: queueId }]),
      ),
  };
};

/** The statement enforceSSL puts first in a queue's policy. */
export const tlsOnlyQueueStatement = (queueId: string) => ({
  Action: 'sqs:*',
  Condition: { Bool: { 'aws:SecureTransport': 'false' } },
  Effect: 'Deny',
  Principal: { AWS: '*' },
  Resource: arnOf(queueId),
});

/** A role statement letting a function consume the queue `queueId` (infra/constructs/queue-actions.ts). */
export const consumeStatement = (sid: string, queueId: string) => ({
  Sid: sid,
  Effect: 'Allow',
  Action: [
    'sqs:ReceiveMessage',
    'sqs:DeleteMessage',
    'sqs:GetQueueAttributes',
    'sqs:ChangeMessageVisibility',
  ],
  Resource: arnOf(queueId),
});

/** The function `functionId` runs `definition` on nodejs24.x arm64. */
export const expectFunctionOf = (
  template: Template,
  functionId: string,
  definition: Pick<LambdaFunctionDefinition, 'timeoutSeconds' | 'memoryMb'>,
): void => {
  expect(template.findResources('AWS::Lambda::Function')[functionId]?.Properties).toMatchObject({
    Runtime: 'nodejs24.x',
    Architectures: ['arm64'],
    Timeout: definition.timeoutSeconds,
    MemorySize: definition.memoryMb,
  });
};

/** Each of `routes` is a route of the API, behind the authorizer `authorizerName`, served by `functionId`. */
export const expectRoutesServedBy = (
  template: Template,
  routes: readonly RouteDefinition[],
  functionId: string,
  authorizerName: string,
): void => {
  const functionArn = JSON.stringify(arnOf(functionId));
  const integrations = template.findResources('AWS::ApiGatewayV2::Integration');
  const authorizers = template.findResources('AWS::ApiGatewayV2::Authorizer');
  const resources = Object.values(template.findResources('AWS::ApiGatewayV2::Route'));
  for (const route of routes) {
    const routeResource = resources.find(
      (candidate) => candidate.Properties.RouteKey === `${route.method} ${API_BASE_PATH}${route.path}`,
    );
    expect(routeResource?.Properties.AuthorizationType, route.path).toBe('CUSTOM');
    expect(authorizers[routeResource?.Properties.AuthorizerId.Ref]?.Properties.Name).toBe(authorizerName);
    const target = JSON.stringify(routeResource?.Properties.Target);
    const integrationId = Object.keys(integrations).find((id) => target.includes(id)) ?? '';
    expect(JSON.stringify(integrations[integrationId]?.Properties.IntegrationUri)).toBe(functionArn);
  }
};

export const logicalId = (stack: Stack, construct: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as CfnElement);

/** Every statement of the policies attached to a function's role, in order. */
export const statementsOfRole = (template: Template, functionLogicalId: string): unknown[] => {
  const fn = template.findResources('AWS::Lambda::Function')[functionLogicalId];
  const roleId: string = fn?.Properties.Role['Fn::GetAtt'][0];
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(roleId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
};

/** The instance-secret wildcard of the default stack, as the template spells it. */
export const INSTANCE_SECRETS_ARN = {
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':secretsmanager:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      ':secret:snow-element/SnowElement/instances/*',
    ],
  ],
};

/**
 * What grantInstanceData (infra/constructs/instances.ts) gives a function, after its log statement: state
 * table items on the table and gsi1, instance secrets with `secretActions`, and the stack key.
 */
export const instanceDataStatements = (
  stack: SnowElementStack,
  logGroupLogicalId: string,
  secretActions: string | string[],
) => {
  const table = logicalId(stack, stack.foundation.state.table);
  return [
    {
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: arnOf(logGroupLogicalId),
    },
    {
      Sid: 'StateTableItems',
      Effect: 'Allow',
      Action: [
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:Query',
      ],
      Resource: [arnOf(table), { 'Fn::Join': ['', [arnOf(table), '/index/gsi1']] }],
    },
    { Sid: 'InstanceSecrets', Effect: 'Allow', Action: secretActions, Resource: INSTANCE_SECRETS_ARN },
    {
      Sid: 'ElementKey',
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
      Resource: arnOf(logicalId(stack, stack.foundation.key)),
    },
  ];
};

/** The one alarm of `dlqLogicalId`: fires as soon as a message is visible (infra/constructs/queue-actions.ts). */
export const expectDeadLetterAlarm = (template: Template, dlqLogicalId: string): void => {
  const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter((alarm) =>
    JSON.stringify(alarm.Properties).includes(`"${dlqLogicalId}"`),
  );
  expect(alarms).toHaveLength(1);
  const properties = alarms[0]?.Properties;
  expect(properties).toMatchObject({
    ComparisonOperator: 'GreaterThanThreshold',
    Threshold: 0,
    EvaluationPeriods: 1,
    TreatMissingData: 'notBreaching',
  });
  const metrics = properties.Metrics as {
    Id: string;
    Expression?: string;
    MetricStat?: { Metric: { MetricName: string; Namespace: string; Dimensions: unknown }; Stat: string };
  }[];
  expect(metrics.find((metric) => metric.Expression)?.Expression).toBe(
    'FILL(visible, 0) + FILL(received, 0)',
  );
  const queueDimension = [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlqLogicalId, 'QueueName'] } }];
  expect(metrics.find((metric) => metric.Id === 'visible')?.MetricStat).toMatchObject({
    Metric: {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: queueDimension,
    },
    Stat: 'Maximum',
  });
  expect(metrics.find((metric) => metric.Id === 'received')?.MetricStat).toMatchObject({
    Metric: { Namespace: 'AWS/SQS', MetricName: 'NumberOfMessagesReceived', Dimensions: queueDimension },
    Stat: 'Sum',
  });
};
