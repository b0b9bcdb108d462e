import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { App, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { afterAll, describe, expect, it } from 'vitest';
import { API_BASE_PATH, LAMBDA_FUNCTIONS, ROUTES } from '../../functions/routes';
import { CONSOLE_SECRET_ACTIONS, ConsoleConstruct, ElementFunction } from '../../infra/constructs';
import { REPO_ROOT } from '../../infra/paths';
import {
  arnOf,
  logicalId,
  removeOutdir,
  statementsOfRole,
  synthesizeForSuite,
  testOutdir,
} from './synthesize';

const element = synthesizeForSuite();

const routeResources = () => Object.values(element.template.findResources('AWS::ApiGatewayV2::Route'));
const integrationOf = (routeKey: string) => {
  const route = routeResources().find((candidate) => candidate.Properties.RouteKey === routeKey);
  const target: string = route?.Properties.Target['Fn::Join'][1][1].Ref;
  return { route, integration: element.template.findResources('AWS::ApiGatewayV2::Integration')[target] };
};

describe('console construct', () => {
  it('serves the console files from the console function and the OAuth callback from the instances function, both without an authorizer', () => {
    const { stack } = element;
    expect(stack.console).toBeInstanceOf(ConsoleConstruct);
    const consoleArn = JSON.stringify(arnOf(logicalId(stack, stack.api.functions.console.function)));
    const instancesArn = JSON.stringify(arnOf(logicalId(stack, stack.api.functions.instances.function)));
    const publicRoutes = ROUTES.filter((route) => route.path.startsWith('/console'));
    expect(publicRoutes.map((route) => `${route.method} ${route.path}`).sort()).toEqual([
      'GET /console',
      'GET /console/oauth/callback',
      'GET /console/{proxy+}',
      'HEAD /console',
      'HEAD /console/{proxy+}',
    ]);
    for (const route of publicRoutes) {
      const { route: resource, integration } = integrationOf(`${route.method} ${API_BASE_PATH}${route.path}`);
      expect(resource?.Properties.AuthorizationType, route.path).toBe('NONE');
      const uri = JSON.stringify(integration?.Properties.IntegrationUri);
      expect(uri, route.path).toBe(route.path === '/console/oauth/callback' ? instancesArn : consoleArn);
    }
    for (const path of ['/instances/oauth/connect', '/instances/{id}/oauth/connect']) {
      const { route, integration } = integrationOf(`POST ${API_BASE_PATH}${path}`);
      expect(route?.Properties.AuthorizationType, path).toBe('CUSTOM');
      expect(JSON.stringify(integration?.Properties.IntegrationUri)).toBe(instancesArn);
    }
  });

  it('gives the console function nothing but its log group, and the instances function the console secrets only', () => {
    const { stack, template } = element;
    const consoleStatements = statementsOfRole(
      template,
      logicalId(stack, stack.api.functions.console.function),
    );
    expect(consoleStatements).toHaveLength(1);
    expect(JSON.stringify(consoleStatements)).not.toMatch(/secretsmanager|dynamodb|kms|sqs|s3:/);
    const consoleVariables = template.findResources('AWS::Lambda::Function')[
      logicalId(stack, stack.api.functions.console.function)
    ]?.Properties.Environment.Variables as Record<string, unknown>;
    expect(consoleVariables.ELEMENT_SECRET_PREFIX).toBeUndefined();
    expect(LAMBDA_FUNCTIONS.console.memoryMb).toBeLessThanOrEqual(256);

    const instancesStatements = statementsOfRole(
      template,
      logicalId(stack, stack.api.functions.instances.function),
    ) as { Sid?: string; Action: unknown; Resource: unknown }[];
    const consoleSecrets = instancesStatements.find((statement) => statement.Sid === 'ConsoleSecrets');
    expect(consoleSecrets?.Action).toEqual([...CONSOLE_SECRET_ACTIONS]);
    expect(JSON.stringify(consoleSecrets?.Resource)).toContain(':secret:snow-element/SnowElement/console/*');
  });

  it('outputs the console URL and the OAuth callback URL to register at ServiceNow', () => {
    const outputs = element.template.findOutputs('*');
    const values = Object.entries(outputs).map(([id, output]) => [id, JSON.stringify(output.Value)]);
    const consoleUrl = values.find(([id]) => id?.includes('ConsoleUrl'));
    const callbackUrl = values.find(([id]) => id?.includes('OAuthCallbackUrl'));
    expect(consoleUrl?.[1]).toContain(`${API_BASE_PATH}/console/`);
    expect(callbackUrl?.[1]).toContain(`${API_BASE_PATH}/console/oauth/callback`);
  });
});

describe('console function asset', () => {
  const outdir = testOutdir('console-asset');
  const fixture = join(outdir, 'fixture-dist');
  afterAll(() => removeOutdir(outdir));

  it('carries the build output beside the bundle, which serves it from there', async () => {
    mkdirSync(join(fixture, 'assets'), { recursive: true });
    writeFileSync(join(fixture, 'index.html'), '<!doctype html><title>bundled console</title>');
    writeFileSync(join(fixture, 'assets', 'app-1.js'), 'export {};');
    const app = new App({ outdir: join(outdir, 'assembly') });
    const stack = new Stack(app, 'ConsoleAsset');
    const fn = new ElementFunction(stack, 'Console', {
      definition: {
        ...LAMBDA_FUNCTIONS.console,
        assetDirectory: { from: relative(REPO_ROOT, fixture), to: 'console' },
      },
      serviceName: 'test',
      environment: {},
      logLevel: 'ERROR',
      logRetention: logs.RetentionDays.ONE_DAY,
    });
    const assembly = app.synth();
    const template = assembly.getStackByName('ConsoleAsset').template as {
      Resources: Record<string, { Properties: { Code?: { S3Key?: string } } }>;
    };
    const s3Key =
      template.Resources[stack.getLogicalId(fn.function.node.defaultChild as never)]?.Properties.Code?.S3Key;
    const assetDir = join(assembly.directory, `asset.${s3Key?.replace(/\.zip$/, '')}`);
    expect(readFileSync(join(assetDir, 'console', 'index.html'), 'utf8')).toContain('bundled console');
    expect(readFileSync(join(assetDir, 'console', 'assets', 'app-1.js'), 'utf8')).toBe('export {};');

    // The bundle, loaded as Lambda loads it, finds the files next to itself.
    const path = `${API_BASE_PATH}/console/`;
    const event = {
      version: '2.0',
      routeKey: `GET ${API_BASE_PATH}/console`,
      rawPath: path,
      rawQueryString: '',
      headers: {},
      requestContext: { http: { method: 'GET', path }, requestId: 'r1', domainName: 'example.com' },
      isBase64Encoded: false,
    };
    const script = `
      const { handler } = await import(${JSON.stringify(pathToFileURL(join(assetDir, 'index.mjs')).href)});
      const result = await handler(${JSON.stringify(event)}, { awsRequestId: 'r1', getRemainingTimeInMillis: () => 5000 });
      process.stdout.write('RESULT ' + JSON.stringify(result) + '\\n');`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      cwd: assetDir,
      env: { PATH: process.env.PATH, LOG_LEVEL: 'ERROR', LAMBDA_TASK_ROOT: assetDir },
    });
    const result = JSON.parse(
      stdout
        .split('\n')
        .find((line) => line.startsWith('RESULT '))
        ?.slice(7) ?? '{}',
    );
    expect(result.statusCode).toBe(200);
    expect(result.body).toContain('bundled console');
    expect(result.headers['Content-Security-Policy']).toContain("default-src 'self'");
  }, 120_000);
});
