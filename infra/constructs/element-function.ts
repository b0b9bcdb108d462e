import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { AssetHashType, DockerImage, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { LambdaFunctionDefinition } from '../../functions/routes';
import { BUNDLE_ENTRY_FILE, bundleFunctionSync } from '../bundling';
import { REPO_ROOT } from '../paths';

/**
 * Copies files the function serves next to its bundle (the asset's hash covers them). A directory not
 * built yet is skipped: the function then answers that it is missing instead of failing the synthesis.
 */
const copyIntoAsset = (directory: { from: string; to: string }, outputDir: string): void => {
  const from = join(REPO_ROOT, directory.from);
  if (existsSync(from)) cpSync(from, join(outputDir, directory.to), { recursive: true, dereference: true });
};

/** Log levels shared by Powertools (`LOG_LEVEL`) and Lambda's advanced logging controls. */
export type ElementLogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/** What every function of a capability shares; only the definition differs. */
export interface ElementFunctionDefaults {
  /** `POWERTOOLS_SERVICE_NAME`: the `service` key of every structured log line. */
  serviceName: string;
  /** Variables every function of the stack shares (table name, secret ARNs, allowed hosts...). */
  environment: Record<string, string>;
  logLevel: ElementLogLevel;
  logRetention: logs.RetentionDays;
}

/** The function defaults out of a capability's props (which carry other things too). */
export const functionDefaults = (props: ElementFunctionDefaults): ElementFunctionDefaults => ({
  serviceName: props.serviceName,
  environment: props.environment,
  logLevel: props.logLevel,
  logRetention: props.logRetention,
});

export interface ElementFunctionProps extends ElementFunctionDefaults {
  /** One entry of LAMBDA_FUNCTIONS in functions/routes.ts. */
  definition: LambdaFunctionDefinition;
}

/**
 * A Lambda function of the element with the project's defaults, used by every capability:
 * - nodejs24.x (the latest runtime; cdk-nag AwsSolutions-L1) on arm64 (cheaper per GB-second);
 * - bundled by the LOCAL esbuild (devDependency) into minified ESM modules with source maps, never Docker,
 *   so `cdk synth` works offline on a machine without a Docker engine: `index.mjs` plus the chunks its
 *   dynamic imports load on first use (infra/bundling.ts; NodejsFunction cannot split code, it writes
 *   one `--outfile`);
 * - the AWS SDK clients it uses bundled at the pinned versions, nothing external;
 * - its own log group with a retention, JSON log format, and an explicit role that may only write to
 *   that log group (no AWSLambdaBasicExecutionRole managed policy, cdk-nag AwsSolutions-IAM4).
 *
 * X-Ray tracing stays off for now: HTTP APIs do not emit X-Ray segments, nothing calls the tracer yet, and
 * active tracing needs `xray:Put*` on `Resource: *`. Turn it on together with Powertools Tracer.
 */
export class ElementFunction extends Construct {
  readonly function: lambda.Function;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ElementFunctionProps) {
    super(scope, id);
    const { definition } = props;

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${id}: writes its own log group; capabilities add grants`,
    });
    this.logGroup.grantWrite(this.role);

    const entry = join(REPO_ROOT, definition.entry);
    this.function = new lambda.Function(this, 'Function', {
      code: lambda.Code.fromAsset(REPO_ROOT, {
        assetHashType: AssetHashType.OUTPUT,
        bundling: {
          // Never used: local bundling always succeeds or throws (no Docker fallback).
          image: DockerImage.fromRegistry('dummy'),
          // Not run either, but part of the bundling options the CDK keys its bundling folders by: without
          // the entry every function would share (and overwrite) one folder.
          command: ['esbuild', definition.entry],
          local: {
            tryBundle: (outputDir) => {
              bundleFunctionSync(entry, outputDir);
              if (definition.assetDirectory) copyIntoAsset(definition.assetDirectory, outputDir);
              return true;
            },
          },
        },
      }),
      handler: `${BUNDLE_ENTRY_FILE.replace(/\.mjs$/, '')}.handler`,
      description: definition.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: definition.memoryMb,
      timeout: Duration.seconds(definition.timeoutSeconds),
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      // Lambda's advanced logging controls and Powertools read the same level, so they never disagree.
      applicationLogLevelV2: lambda.ApplicationLogLevel[props.logLevel],
      systemLogLevelV2: lambda.SystemLogLevel.INFO,
      environment: {
        ...props.environment,
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        LOG_LEVEL: props.logLevel,
        // Stack traces in the logs point at functions/*.ts instead of the minified bundle.
        NODE_OPTIONS: '--enable-source-maps',
      },
    });
  }
}
