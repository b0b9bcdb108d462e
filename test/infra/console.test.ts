import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { S3Client } from '@aws-sdk/client-s3';
import { App, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { afterAll, describe, expect, it } from 'vitest';
import { API_BASE_PATH, LAMBDA_FUNCTIONS, ROUTES } from '../../functions/routes';
import { CONSOLE_SECRET_ACTIONS, ConsoleConstruct, ElementFunction } from '../../infra/constructs';
import { BULK_CORS_EXPOSED_HEADERS } from '../../infra/constructs/bulk';
import { REPO_ROOT } from '../../infra/paths';
import { AWS_BLOB_STORE_CLIENT_CONFIG, createAwsBlobStore } from '../../shared/adapters/aws/blob-store';
import { consoleIndexEvent } from '../console/console-event';
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

/** A template value resolved as CloudFormation would, from `refs` (Ref, `id.Attribute` and Fn::Join only). */
const resolveValue = (value: unknown, refs: Record<string, string>): string => {
  if (typeof value === 'string') return value;
  const node = value as { Ref?: string; 'Fn::GetAtt'?: [string, string]; 'Fn::Join'?: [string, unknown[]] };
  const name = node.Ref ?? node['Fn::GetAtt']?.join('.');
  if (name !== undefined) {
    const resolved = refs[name];
    if (resolved === undefined) throw new Error(`No value for ${name}`);
    return resolved;
  }
  if (node['Fn::Join']) {
    const [separator, parts] = node['Fn::Join'];
    return parts.map((part) => resolveValue(part, refs)).join(separator);
  }
  throw new Error(`Cannot resolve ${JSON.stringify(value)}`);
};

describe('console bulk downloads', () => {
  const BUCKET = 'snowelement-bulkstagingbucket0a1b2c3d-1a2b3c4d5e6f';
  const API_ID = 'a1b2c3d4e5';

  it('lets the console fetch follow a bulk 302: its CSP names exactly the origin the presigner signs for, the bucket allows its origin', async () => {
    const { stack, template } = element;
    const bucketId = logicalId(stack, stack.bulk.bucket);
    const apiId = logicalId(stack, stack.api.httpApi);
    const variables = template.findResources('AWS::Lambda::Function')[
      logicalId(stack, stack.api.functions.console.function)
    ]?.Properties.Environment.Variables as Record<string, unknown>;

    for (const region of ['eu-west-3', 'us-east-1']) {
      const refs = {
        [bucketId]: BUCKET,
        [apiId]: API_ID,
        // What CloudFormation documents for AWS::ApiGatewayV2::Api ApiEndpoint.
        [`${apiId}.ApiEndpoint`]: `https://${API_ID}.execute-api.${region}.amazonaws.com`,
        'AWS::Region': region,
        'AWS::URLSuffix': 'amazonaws.com',
      };
      const client = new S3Client({
        ...AWS_BLOB_STORE_CLIENT_CONFIG,
        region,
        credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'example' },
      });
      const presigned = await createAwsBlobStore({ client, bucket: BUCKET }).presignGetUrl(
        'jobs/j1/result',
        60,
      );
      client.destroy();
      expect(presigned).toMatch(/^https:/);
      expect(resolveValue(variables.ELEMENT_CONSOLE_BULK_ORIGIN, refs), region).toBe(
        new URL(presigned ?? '').origin,
      );
      expect(resolveValue(variables.ELEMENT_CONSOLE_BULK_ORIGIN, refs)).toBe(
        `https://${BUCKET}.s3.${region}.amazonaws.com`,
      );

      // The bucket's CORS lets the console's own origin (the API's) GET the file and read it.
      const bucket = template.findResources('AWS::S3::Bucket')[bucketId];
      const rules = bucket?.Properties.CorsConfiguration.CorsRules as {
        AllowedOrigins: unknown[];
        AllowedMethods: string[];
        ExposedHeaders?: string[];
        AllowedHeaders?: string[];
      }[];
      const consoleUrl = resolveValue(template.findOutputs('ConsoleUrl').ConsoleUrl?.Value, refs);
      const consoleOrigin = new URL(consoleUrl).origin;
      expect(consoleOrigin).toBe(`https://${API_ID}.execute-api.${region}.amazonaws.com`);
      const consoleRules = rules.filter((rule) =>
        rule.AllowedOrigins.some((origin) => resolveValue(origin, refs) === consoleOrigin),
      );
      expect(consoleRules).toHaveLength(1);
      expect(consoleRules[0]?.AllowedOrigins).toHaveLength(1);
      expect(consoleRules[0]?.AllowedMethods.sort()).toEqual(['GET', 'HEAD']);
      expect(consoleRules[0]?.AllowedHeaders).toBeUndefined();
      expect(consoleRules[0]?.ExposedHeaders).toEqual([...BULK_CORS_EXPOSED_HEADERS]);
    }
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
    const event = consoleIndexEvent();
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
