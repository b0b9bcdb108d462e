import type { Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  API_BASE_PATH,
  AUTHORIZER_CACHE_SECONDS,
  AUTHORIZER_FUNCTION,
  ROUTES,
  type RouteDefinition,
} from '../../functions/routes';
import type { ElementAuthorizer } from '../../infra/constructs';
import {
  arnOf,
  bareStack,
  instanceDataStatements,
  logicalId,
  removedAfterSuite,
  removeOutdir,
  statementsOfRole,
  synthesizeElement,
  synthesizeForSuite,
  testOutdir,
  wireApi,
} from './synthesize';

const element = synthesizeForSuite();
/** Folders of the extra apps some tests synthesize. */
const removeAfterSuite = removedAfterSuite();

describe('authorizer function', () => {
  const ids = () => {
    const { stack } = element;
    return {
      fn: stack.getLogicalId(stack.authorizer.function.function.node.defaultChild as CfnFunction),
      logGroup: logicalId(stack, stack.authorizer.function.logGroup),
      table: logicalId(stack, stack.foundation.state.table),
      key: logicalId(stack, stack.foundation.key),
      org: logicalId(stack, stack.foundation.secrets.organizationSecret),
      user: logicalId(stack, stack.foundation.secrets.userSecret),
    };
  };

  it('runs functions/authorizer/handler.ts on nodejs24.x arm64 with the element environment', () => {
    const { fn, org, user, table } = ids();
    expect(element.template.findResources('AWS::Lambda::Function')[fn]?.Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Timeout: AUTHORIZER_FUNCTION.timeoutSeconds,
      MemorySize: AUTHORIZER_FUNCTION.memoryMb,
      Environment: {
        Variables: expect.objectContaining({
          ELEMENT_MODE: 'aws',
          ELEMENT_ORGANIZATION_SECRET_ARN: { Ref: org },
          ELEMENT_USER_SECRET_ARN: { Ref: user },
          ELEMENT_STATE_TABLE: { Ref: table },
        }),
      },
    });
  });

  it('may read the two platform secrets, GetItem on the table and decrypt with the key, nothing more', () => {
    const { fn, logGroup, table, key, org, user } = ids();
    expect(statementsOfRole(element.template, fn)).toEqual([
      { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: arnOf(logGroup) },
      {
        Effect: 'Allow',
        Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        Resource: { Ref: org },
      },
      {
        Effect: 'Allow',
        Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        Resource: { Ref: user },
      },
      { Sid: 'ReadElementTokenIndex', Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: arnOf(table) },
      { Effect: 'Allow', Action: 'kms:Decrypt', Resource: arnOf(key) },
    ]);
  });
});

describe('instances construct grants (and what instances and hub share)', () => {
  const functionId = (name: 'instances' | 'hub' | 'ping') =>
    element.stack.getLogicalId(element.stack.api.functions[name].function.node.defaultChild as CfnFunction);

  const expectedStatements = (name: 'instances' | 'hub', secretActions: string[]) => {
    const { stack } = element;
    return [
      ...instanceDataStatements(stack, logicalId(stack, stack.api.functions[name].logGroup), secretActions),
      // The events admin API queues events from its own function (test/infra/events.test.ts).
    ];
  };

  it('lets the instances function manage secrets under snow-element/SnowElement/instances/ only', () => {
    // Besides the console's own secrets of the OAuth connect flow (test/infra/console.test.ts).
    const statements = statementsOfRole(element.template, functionId('instances')) as { Sid?: string }[];
    expect(statements.filter((statement) => statement.Sid !== 'ConsoleSecrets')).toEqual(
      expectedStatements('instances', [
        'secretsmanager:CreateSecret',
        'secretsmanager:TagResource',
        'secretsmanager:PutSecretValue',
        'secretsmanager:GetSecretValue',
        'secretsmanager:DeleteSecret',
        'secretsmanager:RestoreSecret',
      ]),
    );
  });

  // The hub function's statements: test/infra/hub.test.ts.

  it('never lets a function other than the authorizer read the platform secrets', () => {
    const { stack } = element;
    const org = logicalId(stack, stack.foundation.secrets.organizationSecret);
    const user = logicalId(stack, stack.foundation.secrets.userSecret);
    for (const name of ['instances', 'hub', 'ping'] as const) {
      const statements = JSON.stringify(statementsOfRole(element.template, functionId(name)));
      expect(statements).not.toContain(org);
      expect(statements).not.toContain(user);
    }
  });

  it('tells the secret writers the prefix and key their secrets use', () => {
    for (const name of ['instances', 'hub'] as const) {
      expect(
        element.template.findResources('AWS::Lambda::Function')[functionId(name)]?.Properties.Environment
          .Variables,
      ).toMatchObject({
        ELEMENT_SECRET_PREFIX: 'snow-element/SnowElement/',
        ELEMENT_KMS_KEY_ID: arnOf(logicalId(element.stack, element.stack.foundation.key)),
      });
    }
  });

  it('gives the authorizer no secret prefix: it builds only the state table, never an instance secret', () => {
    const authorizerId = logicalId(element.stack, element.stack.authorizer.function.function);
    expect(
      element.template.findResources('AWS::Lambda::Function')[authorizerId]?.Properties.Environment.Variables,
    ).not.toHaveProperty('ELEMENT_SECRET_PREFIX');
    expect(JSON.stringify(statementsOfRole(element.template, authorizerId))).not.toContain('/instances/*');
  });

  it('gives each stack its own secret namespace, so two stacks in one account cannot read each other', () => {
    const other = synthesizeElement({ stackName: 'OtherElement' });
    try {
      const policies = JSON.stringify(other.template.findResources('AWS::IAM::Policy'));
      expect(policies).toContain(':secret:snow-element/OtherElement/instances/*');
      expect(policies).not.toContain(':secret:snow-element/SnowElement/');
      const variables = Object.values(other.template.findResources('AWS::Lambda::Function')).map(
        (fn) => fn.Properties.Environment?.Variables?.ELEMENT_SECRET_PREFIX,
      );
      expect(variables).toContain('snow-element/OtherElement/');
    } finally {
      removeOutdir(other.outdir);
    }
  });
});

describe('routes of the element stack', () => {
  const routesByKey = () =>
    Object.fromEntries(
      Object.values(element.template.findResources('AWS::ApiGatewayV2::Route')).map((route) => [
        route.Properties.RouteKey as string,
        route.Properties,
      ]),
    );

  it('keeps GET /ping public', () => {
    expect(routesByKey()[`GET ${API_BASE_PATH}/ping`]).toMatchObject({ AuthorizationType: 'NONE' });
  });

  it('puts the Lambda authorizer of its kind on every protected route', () => {
    const authorizers = element.template.findResources('AWS::ApiGatewayV2::Authorizer');
    const nameOf = (id: string) => authorizers[id]?.Properties.Name;
    for (const route of ROUTES.filter((candidate) => candidate.auth !== 'none')) {
      const properties = routesByKey()[`${route.method} ${API_BASE_PATH}${route.path}`];
      expect(properties?.AuthorizationType, `${route.method} ${route.path}`).toBe('CUSTOM');
      expect(nameOf(properties?.AuthorizerId.Ref)).toBe(`${route.auth}-authorizer`);
    }
  });
});

/**
 * The wiring with a route table of each kind, so the authorizers are asserted whatever ROUTES holds
 * today: the element stack only creates an authorizer resource once a route uses it.
 */
describe('Lambda authorizers on platform and hub routes', () => {
  const routes: RouteDefinition[] = [
    { method: 'GET', path: '/ping', functionName: 'ping', auth: 'none' },
    { method: 'GET', path: '/instances', functionName: 'instances', auth: 'platform' },
    { method: 'POST', path: '/instances', functionName: 'instances', auth: 'platform' },
    { method: 'GET', path: '/hubs/helpdesk/ping', functionName: 'hub', auth: 'hub' },
  ];
  let template: Template;
  let stack: Stack;
  let authorizer: ElementAuthorizer;
  beforeAll(() => {
    stack = bareStack(removeAfterSuite(testOutdir('auth')), 'Auth');
    ({ authorizer, template } = wireApi(stack, { routes }));
  });

  const authorizerFunctionArn = () =>
    arnOf(stack.getLogicalId(authorizer.function.function.node.defaultChild as CfnFunction));

  it('are REQUEST authorizers with simple responses, keyed on the Authorization header, cached 30 s', () => {
    const authorizers = Object.values(template.findResources('AWS::ApiGatewayV2::Authorizer'));
    expect(authorizers.map((resource) => resource.Properties.Name).sort()).toEqual([
      'hub-authorizer',
      'platform-authorizer',
    ]);
    expect(AUTHORIZER_CACHE_SECONDS).toBe(30);
    for (const resource of authorizers) {
      expect(resource.Properties).toMatchObject({
        AuthorizerType: 'REQUEST',
        AuthorizerPayloadFormatVersion: '2.0',
        EnableSimpleResponses: true,
        IdentitySource: ['$request.header.Authorization'],
        AuthorizerResultTtlInSeconds: AUTHORIZER_CACHE_SECONDS,
      });
      // arn:...:apigateway:<region>:lambda:path/2015-03-31/functions/<authorizer arn>/invocations
      expect(JSON.stringify(resource.Properties.AuthorizerUri)).toContain(
        JSON.stringify(authorizerFunctionArn()),
      );
    }
  });

  it('guard each protected route with the authorizer of its kind and leave /ping open', () => {
    const authorizers = template.findResources('AWS::ApiGatewayV2::Authorizer');
    const byKey = Object.fromEntries(
      Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((route) => [
        route.Properties.RouteKey,
        route.Properties,
      ]),
    );
    expect(byKey[`GET ${API_BASE_PATH}/ping`]?.AuthorizationType).toBe('NONE');
    expect(byKey[`GET ${API_BASE_PATH}/ping`]?.AuthorizerId).toBeUndefined();
    for (const route of routes.filter((candidate) => candidate.auth !== 'none')) {
      const properties = byKey[`${route.method} ${API_BASE_PATH}${route.path}`];
      expect(properties?.AuthorizationType).toBe('CUSTOM');
      expect(authorizers[properties?.AuthorizerId.Ref]?.Properties.Name).toBe(`${route.auth}-authorizer`);
    }
  });

  it('let API Gateway invoke the authorizer function', () => {
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'apigateway.amazonaws.com',
      FunctionName: authorizerFunctionArn(),
    });
  });
});
