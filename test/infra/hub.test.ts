import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { afterAll, describe, expect, it } from 'vitest';
import { ANY_HUB_PREFIX, API_BASE_PATH, HUB_PREFIX, LAMBDA_FUNCTIONS, ROUTES } from '../../functions/routes';
import {
  ApiConstruct,
  ElementAuthorizer,
  Foundation,
  HUB_PAYLOAD_LIMITS,
  HubConstruct,
  InstancesConstruct,
} from '../../infra/constructs';
import {
  arnOf,
  instanceDataStatements,
  logicalId,
  removeOutdir,
  statementsOfRole,
  synthesizeForSuite,
  testOutdir,
} from './synthesize';

const element = synthesizeForSuite();
/** Folders of the extra apps some tests synthesize. */
const outdirs: string[] = [];
afterAll(() => {
  for (const outdir of outdirs) removeOutdir(outdir);
});

describe('hub construct', () => {
  it('gives the hub function table items, instance secrets Get/Put only and the key, nothing more', () => {
    const { stack, template } = element;
    const hub = stack.api.functions.hub;
    expect(stack.hub).toBeInstanceOf(HubConstruct);
    expect(statementsOfRole(template, logicalId(stack, hub.function))).toEqual(
      instanceDataStatements(stack, logicalId(stack, hub.logGroup), [
        'secretsmanager:GetSecretValue',
        'secretsmanager:PutSecretValue',
      ]),
    );
  });

  it('owns the hub grants: without it the hub function may only write its logs', () => {
    const build = (withHub: boolean) => {
      const outdir = testOutdir(withHub ? 'hub-with' : 'hub-without');
      outdirs.push(outdir);
      const stack = new Stack(
        new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } }),
        'HubOwnership',
      );
      const foundation = new Foundation(stack, 'Foundation', { allowedHosts: '' });
      const common = {
        serviceName: 'test',
        logLevel: 'INFO' as const,
        logRetention: logs.RetentionDays.ONE_WEEK,
      };
      const authorizer = new ElementAuthorizer(stack, 'Authorizer', { foundation, ...common });
      const api = new ApiConstruct(stack, 'Api', {
        environment: foundation.functionEnvironment,
        ...common,
        authorizers: authorizer.authorizers,
      });
      new InstancesConstruct(stack, 'Instances', { foundation, instancesFunction: api.functions.instances });
      if (withHub) new HubConstruct(stack, 'Hub', { foundation, hubFunction: api.functions.hub });
      const template = Template.fromStack(stack);
      const hubId = logicalId(stack, api.functions.hub.function);
      return {
        statements: statementsOfRole(template, hubId),
        variables: template.findResources('AWS::Lambda::Function')[hubId]?.Properties.Environment.Variables,
      };
    };
    const without = build(false);
    expect(without.statements).toHaveLength(1);
    expect(JSON.stringify(without.statements)).not.toContain('secretsmanager');
    expect(without.variables.ELEMENT_SECRET_PREFIX).toBeUndefined();
    const withHub = build(true);
    expect(JSON.stringify(withHub.statements)).toContain('secretsmanager:PutSecretValue');
    expect(JSON.stringify(withHub.statements)).not.toMatch(
      /CreateSecret|DeleteSecret|RestoreSecret|TagResource/,
    );
    expect(withHub.variables.ELEMENT_SECRET_PREFIX).toBe('snow-element/HubOwnership/');
  });

  it('serves every hub route of ROUTES, under both prefixes, from one function behind the hub authorizer', () => {
    const { stack, template } = element;
    const hubArn = JSON.stringify(arnOf(logicalId(stack, stack.api.functions.hub.function)));
    const integrations = template.findResources('AWS::ApiGatewayV2::Integration');
    const authorizers = template.findResources('AWS::ApiGatewayV2::Authorizer');
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route'));
    const hubRoutes = ROUTES.filter((route) => route.functionName === 'hub');
    expect(hubRoutes.every((route) => route.auth === 'hub')).toBe(true);
    // Bulk routes are hub routes too, served by the bulk function (test/infra/bulk.test.ts), and so are
    // the routes on "the current instance" of the token, served by the instances and events functions.
    expect(
      ROUTES.filter((route) => route.auth === 'hub').every(
        (route) =>
          route.functionName === 'hub' ||
          route.functionName === 'bulk' ||
          ((route.functionName === 'instances' || route.functionName === 'events') &&
            route.path.startsWith('/instances')),
      ),
    ).toBe(true);
    // Each hub path exists with /hubs/helpdesk, with any hub name and without (the hub ping not bare).
    for (const route of hubRoutes.filter((candidate) => !candidate.path.startsWith('/hubs/'))) {
      for (const prefix of [HUB_PREFIX, ANY_HUB_PREFIX]) {
        expect(
          hubRoutes.some((other) => other.method === route.method && other.path === `${prefix}${route.path}`),
        ).toBe(true);
      }
    }
    for (const route of hubRoutes) {
      const resource = routes.find(
        (candidate) => candidate.Properties.RouteKey === `${route.method} ${API_BASE_PATH}${route.path}`,
      );
      expect(resource?.Properties.AuthorizationType, route.path).toBe('CUSTOM');
      expect(authorizers[resource?.Properties.AuthorizerId.Ref]?.Properties.Name).toBe('hub-authorizer');
      const target = JSON.stringify(resource?.Properties.Target);
      const integrationId = Object.keys(integrations).find((id) => target.includes(id)) ?? '';
      expect(JSON.stringify(integrations[integrationId]?.Properties.IntegrationUri)).toBe(hubArn);
    }
    expect(LAMBDA_FUNCTIONS.hub.timeoutSeconds).toBeLessThanOrEqual(29);
  });

  it("keeps the functions' attachment limit inside the Lambda payload once base64-encoded, with room for framing", () => {
    const { attachmentBytes, lambdaSyncPayloadBytes, httpApiRequestBytes } = HUB_PAYLOAD_LIMITS;
    expect(lambdaSyncPayloadBytes).toBe(6 * 1024 * 1024);
    expect(httpApiRequestBytes).toBe(10 * 1024 * 1024);
    expect(Math.ceil(attachmentBytes / 3) * 4 + 64 * 1024).toBeLessThan(lambdaSyncPayloadBytes);
  });
});
