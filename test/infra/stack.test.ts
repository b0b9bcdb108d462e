import type { CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  API_BASE_PATH,
  type FunctionName,
  LAMBDA_FUNCTIONS,
  ROUTES,
  type RouteDefinition,
} from '../../functions/routes';
import {
  ApiConstruct,
  BUCKET_NOTIFICATIONS_HANDLER_ID,
  PLATFORM_SECRET_LENGTH,
} from '../../infra/constructs';
import { estimatedResourcePolicyBytes, LAMBDA_RESOURCE_POLICY_LIMIT_BYTES } from './resource-policy';
import {
  arnOf,
  bareStack,
  logicalId,
  removedAfterSuite,
  type SynthesizedElement,
  synthesizeElement,
  TEST_FUNCTION_DEFAULTS,
  testOutdir,
} from './synthesize';

const FUNCTION_NAMES = Object.keys(LAMBDA_FUNCTIONS) as FunctionName[];

let element: SynthesizedElement;
const removeAfterSuite = removedAfterSuite();

beforeAll(() => {
  element = synthesizeElement();
  removeAfterSuite(element.outdir);
});

const logicalIdOfFunction = (name: FunctionName): string =>
  element.stack.getLogicalId(element.stack.api.functions[name].function.node.defaultChild as CfnFunction);

const ref = (logicalId: string) => ({ Ref: logicalId });

describe('API', () => {
  it('is one HTTP API with a $default stage that auto-deploys', () => {
    element.template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    element.template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
    element.template.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
    element.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
    });
  });

  it('has exactly one route per entry of ROUTES, each integrated with its function (payload 2.0)', () => {
    const routes = element.template.findResources('AWS::ApiGatewayV2::Route');
    expect(
      Object.values(routes)
        .map((route) => route.Properties.RouteKey)
        .sort(),
    ).toEqual(ROUTES.map((route) => `${route.method} ${API_BASE_PATH}${route.path}`).sort());
    const integrations = element.template.findResources('AWS::ApiGatewayV2::Integration');
    for (const route of ROUTES) {
      const [routeResource] = Object.values(routes).filter(
        (resource) => resource.Properties.RouteKey === `${route.method} ${API_BASE_PATH}${route.path}`,
      );
      const target = JSON.stringify(routeResource?.Properties.Target);
      const [integrationId] = Object.keys(integrations).filter((id) => target.includes(id));
      expect(integrationId, `integration of ${route.method} ${route.path}`).toBeDefined();
      expect(integrations[integrationId ?? '']?.Properties).toMatchObject({
        IntegrationType: 'AWS_PROXY',
        PayloadFormatVersion: '2.0',
        IntegrationUri: arnOf(logicalIdOfFunction(route.functionName)),
      });
    }
  });

  it('lets API Gateway invoke each routed function through one permission scoped to the API', () => {
    const apiId = logicalId(element.stack, element.stack.api.httpApi);
    for (const name of FUNCTION_NAMES) {
      const permissions = Object.values(element.template.findResources('AWS::Lambda::Permission')).filter(
        (permission) =>
          JSON.stringify(permission.Properties.FunctionName) ===
          JSON.stringify(arnOf(logicalIdOfFunction(name))),
      );
      expect(
        permissions.map((permission) => permission.Properties),
        name,
      ).toEqual([
        {
          Action: 'lambda:InvokeFunction',
          Principal: 'apigateway.amazonaws.com',
          FunctionName: arnOf(logicalIdOfFunction(name)),
          SourceArn: {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':execute-api:',
                { Ref: 'AWS::Region' },
                ':',
                { Ref: 'AWS::AccountId' },
                ':',
                { Ref: apiId },
                '/*/*/*',
              ],
            ],
          },
        },
      ]);
    }
  });

  it("keeps every function's resource policy far below Lambda's 20 KB limit, however many routes it serves", () => {
    const functionIds = Object.keys(element.template.findResources('AWS::Lambda::Function'));
    for (const functionId of functionIds) {
      expect(estimatedResourcePolicyBytes(element.template, functionId), functionId).toBeLessThan(
        LAMBDA_RESOURCE_POLICY_LIMIT_BYTES / 10,
      );
    }
    // The estimate is the one that put the hub function at 16.7 KB with one statement per route.
    const hub = logicalIdOfFunction('hub');
    expect(estimatedResourcePolicyBytes(element.template, hub)).toBeGreaterThan(400);
  });

  it("leaves routes with auth 'none' public and nothing else", () => {
    const publicKeys = ROUTES.filter((route) => route.auth === 'none').map(
      (route) => `${route.method} ${API_BASE_PATH}${route.path}`,
    );
    const routes = Object.values(element.template.findResources('AWS::ApiGatewayV2::Route'));
    const open = routes.filter((route) => (route.Properties.AuthorizationType ?? 'NONE') === 'NONE');
    expect(open.map((route) => route.Properties.RouteKey).sort()).toEqual(publicKeys.sort());
  });

  it('writes one JSON access-log line per request, with the request id, to a log group with retention', () => {
    const stage = Object.values(element.template.findResources('AWS::ApiGatewayV2::Stage'))[0];
    const settings = stage?.Properties.AccessLogSettings;
    const format = JSON.parse(settings.Format);
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      routeKey: '$context.routeKey',
      status: '$context.status',
      integrationErrorMessage: '$context.integrationErrorMessage',
    });
    const logGroupId = settings.DestinationArn['Fn::GetAtt'][0];
    expect(
      element.template.findResources('AWS::Logs::LogGroup')[logGroupId]?.Properties.RetentionInDays,
    ).toBe(30);
  });

  it('throttles the stage by default', () => {
    element.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: Match.anyValue(), ThrottlingBurstLimit: Match.anyValue() },
    });
  });

  it('outputs the API base URL ending in the Cloud Elements base path', () => {
    const url = JSON.stringify(element.template.findOutputs('ApiUrl').ApiUrl?.Value);
    expect(url).toContain('.execute-api.');
    expect(url).toMatch(/\/elements\/api-v2"\]\]\}$/);
  });
});

describe('route authorization seam', () => {
  const protectedRoute: RouteDefinition = {
    method: 'GET',
    path: '/instances',
    functionName: 'ping',
    auth: 'platform',
  };
  const apiStack = (
    authorizers?: ConstructorParameters<typeof ApiConstruct>[2]['authorizers'],
    routes: RouteDefinition[] = [protectedRoute],
  ) => {
    const stack = bareStack(removeAfterSuite(testOutdir('seam')), 'Seam');
    new ApiConstruct(stack, 'Api', { environment: {}, ...TEST_FUNCTION_DEFAULTS, routes, authorizers });
    return Template.fromStack(stack);
  };

  it('refuses to synthesize a protected route without its authorizer', () => {
    expect(() => apiStack()).toThrow(/GET \/elements\/api-v2\/instances requires a 'platform' authorizer/);
  });

  it('refuses a public route nobody has justified in PUBLIC_ROUTE_JUSTIFICATIONS', () => {
    const openRoute: RouteDefinition = { method: 'GET', path: '/debug', functionName: 'ping', auth: 'none' };
    expect(() => apiStack(undefined, [openRoute])).toThrow(
      /GET \/elements\/api-v2\/debug has auth 'none' but no entry/,
    );
  });

  it('puts the given authorizer on protected routes', () => {
    apiStack({ platform: new HttpIamAuthorizer() }).hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'GET /elements/api-v2/instances',
      AuthorizationType: 'AWS_IAM',
    });
  });
});

describe('functions', () => {
  it('creates one function per entry of LAMBDA_FUNCTIONS, on nodejs24.x arm64 with its timeout and memory', () => {
    // ... plus the authorizer (test/infra/auth.test.ts), the events poll schedule, poll worker and dispatcher
    // (events.test.ts), the bulk worker and CDK's deploy-time handler of the bulk bucket's notifications
    // (bulk.test.ts).
    element.template.resourceCountIs('AWS::Lambda::Function', FUNCTION_NAMES.length + 1 + 3 + 2);
    for (const name of FUNCTION_NAMES) {
      const definition = LAMBDA_FUNCTIONS[name];
      expect(
        element.template.findResources('AWS::Lambda::Function')[logicalIdOfFunction(name)]?.Properties,
      ).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        Timeout: definition.timeoutSeconds,
        MemorySize: definition.memoryMb,
      });
    }
  });

  it('gives every function the element environment', () => {
    const { foundation } = element.stack;
    // Functions that use instance secrets also learn where and with which key (auth.test.ts, hub.test.ts,
    // bulk.test.ts); the transformations function builds no secret store (transformations.test.ts).
    const secretWriters: readonly FunctionName[] = ['instances', 'hub', 'bulk', 'events'];
    for (const name of FUNCTION_NAMES) {
      const fn = element.template.findResources('AWS::Lambda::Function')[logicalIdOfFunction(name)];
      expect(fn?.Properties.Environment.Variables).toEqual({
        ...(secretWriters.includes(name)
          ? {
              ELEMENT_SECRET_PREFIX: 'snow-element/SnowElement/',
              ELEMENT_KMS_KEY_ID: arnOf(
                element.stack.getLogicalId(foundation.key.node.defaultChild as CfnElement),
              ),
            }
          : {}),
        // The bulk API finds its bucket and queue (test/infra/bulk.test.ts).
        ...(name === 'bulk'
          ? {
              ELEMENT_BULK_BUCKET: ref(
                element.stack.getLogicalId(element.stack.bulk.bucket.node.defaultChild as CfnElement),
              ),
              ELEMENT_BULK_QUEUE_URL: ref(
                element.stack.getLogicalId(element.stack.bulk.queue.node.defaultChild as CfnElement),
              ),
            }
          : {}),
        // The console's CSP lets fetch reach the bulk bucket (test/infra/console.test.ts).
        ...(name === 'console'
          ? { ELEMENT_CONSOLE_BULK_ORIGIN: expect.objectContaining({ 'Fn::Join': expect.any(Array) }) }
          : {}),
        // POST /instances/{id}/events/poll queues events (test/infra/events.test.ts).
        ...(name === 'events'
          ? {
              ELEMENT_EVENTS_QUEUE_URL: ref(
                element.stack.getLogicalId(element.stack.events.queue.node.defaultChild as CfnElement),
              ),
            }
          : {}),
        ELEMENT_MODE: 'aws',
        ELEMENT_ALLOWED_HOSTS: '',
        ELEMENT_STATE_TABLE: ref(
          element.stack.getLogicalId(foundation.state.table.node.defaultChild as CfnElement),
        ),
        ELEMENT_ORGANIZATION_SECRET_ARN: ref(
          element.stack.getLogicalId(foundation.secrets.organizationSecret.node.defaultChild as CfnElement),
        ),
        ELEMENT_USER_SECRET_ARN: ref(
          element.stack.getLogicalId(foundation.secrets.userSecret.node.defaultChild as CfnElement),
        ),
        POWERTOOLS_SERVICE_NAME: 'snow-element',
        LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      });
    }
  });

  it('logs JSON to its own log group with a retention', () => {
    for (const name of FUNCTION_NAMES) {
      const fn = element.template.findResources('AWS::Lambda::Function')[logicalIdOfFunction(name)];
      const logGroupId = fn?.Properties.LoggingConfig.LogGroup.Ref;
      expect(fn?.Properties.LoggingConfig).toMatchObject({ LogFormat: 'JSON', ApplicationLogLevel: 'INFO' });
      expect(
        element.template.findResources('AWS::Logs::LogGroup')[logGroupId]?.Properties.RetentionInDays,
      ).toBe(30);
    }
  });

  it('uses roles without AWS managed policies; functions without a capability only write their log group', () => {
    const roles = element.template.findResources('AWS::IAM::Role');
    for (const [id, role] of Object.entries(roles)) {
      // Except the role aws-cdk-lib gives its deploy-time bucket notifications handler (bulk.test.ts, nag.test.ts).
      if (id.startsWith(`${BUCKET_NOTIFICATIONS_HANDLER_ID}Role`)) continue;
      expect(role.Properties.ManagedPolicyArns, id).toBeUndefined();
    }
    // The others get the grants of their constructs, asserted in auth, hub, bulk and transformations tests.
    const withCapability: readonly FunctionName[] = ['instances', 'hub', 'bulk', 'transformations', 'events'];
    for (const name of FUNCTION_NAMES.filter((fn) => !withCapability.includes(fn))) {
      const fn = element.template.findResources('AWS::Lambda::Function')[logicalIdOfFunction(name)];
      const roleId = fn?.Properties.Role['Fn::GetAtt'][0];
      const logGroupId = fn?.Properties.LoggingConfig.LogGroup.Ref;
      const policies = Object.values(element.template.findResources('AWS::IAM::Policy')).filter((policy) =>
        JSON.stringify(policy.Properties.Roles).includes(roleId),
      );
      expect(policies.flatMap((policy) => policy.Properties.PolicyDocument.Statement)).toEqual([
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: arnOf(logGroupId),
        },
      ]);
    }
  });

  it('takes ELEMENT_ALLOWED_HOSTS, the log level and the stack name from context', () => {
    const custom = synthesizeElement({
      allowedHosts: 'acme.example.com:8443',
      logLevel: 'DEBUG',
      stackName: 'Acme',
    });
    removeAfterSuite(custom.outdir);
    expect(custom.stack.stackName).toBe('Acme');
    custom.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ ELEMENT_ALLOWED_HOSTS: 'acme.example.com:8443', LOG_LEVEL: 'DEBUG' }),
      },
      LoggingConfig: Match.objectLike({ ApplicationLogLevel: 'DEBUG' }),
    });
  });

  it('rejects an unknown log level in context', () => {
    expect(() => synthesizeElement({ logLevel: 'LOUD' })).toThrow(/logLevel must be one of/);
  });
});

describe('state table', () => {
  it('has the key schema, gsi1, TTL and PITR the adapters rely on, on demand', () => {
    element.template.resourceCountIs('AWS::DynamoDB::Table', 1);
    element.template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'gsi1pk', AttributeType: 'S' },
        { AttributeName: 'gsi1sk', AttributeType: 'S' },
      ]),
      GlobalSecondaryIndexes: [
        {
          IndexName: 'gsi1',
          KeySchema: [
            { AttributeName: 'gsi1pk', KeyType: 'HASH' },
            { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('is encrypted with the customer-managed key and survives stack deletion', () => {
    const keyId = element.stack.getLogicalId(element.stack.foundation.key.node.defaultChild as CfnElement);
    element.template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: arnOf(keyId) },
      }),
    });
  });
});

describe('platform secrets', () => {
  it('generates the organization and user secrets, long, without punctuation, encrypted with the key', () => {
    const keyId = element.stack.getLogicalId(element.stack.foundation.key.node.defaultChild as CfnElement);
    const secrets = Object.values(element.template.findResources('AWS::SecretsManager::Secret'));
    expect(secrets).toHaveLength(2);
    for (const secret of secrets) {
      expect(secret.DeletionPolicy).toBe('Retain');
      expect(secret.Properties).toMatchObject({
        KmsKeyId: arnOf(keyId),
        GenerateSecretString: { ExcludePunctuation: true, PasswordLength: PLATFORM_SECRET_LENGTH },
      });
      expect(PLATFORM_SECRET_LENGTH).toBeGreaterThanOrEqual(48);
      expect(secret.Properties.SecretString).toBeUndefined();
    }
    expect(Object.keys(element.template.findOutputs('*')).sort()).toEqual(
      [
        'AlarmTopicArn',
        'ApiUrl',
        'BulkBucketName',
        'BulkDeadLetterQueueUrl',
        'BulkQueueUrl',
        'ConsoleUrl',
        'EventsDeadLetterQueueUrl',
        'EventsQueueUrl',
        'OAuthCallbackUrl',
        'OrganizationSecretArn',
        'StateTableName',
        'UserSecretArn',
      ].sort(),
    );
  });

  it('uses customer-managed keys with rotation that are kept on stack deletion', () => {
    // The stack key, and the bulk queue key (test/infra/bulk.test.ts says why the queue has its own).
    const keys = element.template.findResources('AWS::KMS::Key');
    expect(Object.keys(keys).sort()).toEqual(
      [element.stack.foundation.key, element.stack.bulk.queueKey]
        .map((key) => element.stack.getLogicalId(key.node.defaultChild as CfnElement))
        .sort(),
    );
    for (const key of Object.values(keys)) {
      expect(key.DeletionPolicy).toBe('Retain');
      expect(key.Properties.EnableKeyRotation).toBe(true);
    }
  });
});
