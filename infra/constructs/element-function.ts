import { join } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { type ICommandHooks, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { LambdaFunctionDefinition } from '../../functions/routes';
import { BUNDLE_EXTERNAL_MODULES, BUNDLE_MAIN_FIELDS, ESM_REQUIRE_BANNER } from '../bundling';
import { REPO_ROOT } from '../paths';

/**
 * Copies files the function serves next to its bundle (the asset's hash covers them). A directory not
 * built yet is skipped: the function then answers that it is missing instead of failing the synthesis.
 */
const copyIntoAsset = (directory: { from: string; to: string }): ICommandHooks => ({
  beforeBundling: () => [],
  beforeInstall: () => [],
  afterBundling: (_inputDir, outputDir) => [
    [
      'node -e',
      JSON.stringify(
        'const fs=require("node:fs");const [from,to]=process.argv.slice(1);' +
          'if(fs.existsSync(from))fs.cpSync(from,to,{recursive:true,dereference:true});',
      ),
      JSON.stringify(join(REPO_ROOT, directory.from)),
      JSON.stringify(join(outputDir, directory.to)),
    ].join(' '),
  ],
});

/** Log levels shared by Powertools (`LOG_LEVEL`) and Lambda's advanced logging controls. */
export type ElementLogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

export interface ElementFunctionProps {
  /** One entry of LAMBDA_FUNCTIONS in functions/routes.ts. */
  definition: LambdaFunctionDefinition;
  /** `POWERTOOLS_SERVICE_NAME`: the `service` key of every structured log line. */
  serviceName: string;
  /** Variables every function of the stack shares (table name, secret ARNs, allowed hosts...). */
  environment: Record<string, string>;
  logLevel: ElementLogLevel;
  logRetention: logs.RetentionDays;
}

/**
 * A Lambda function of the element with the project's defaults, used by every capability:
 * - nodejs24.x (the latest runtime; cdk-nag AwsSolutions-L1) on arm64 (cheaper per GB-second);
 * - bundled by the LOCAL esbuild (devDependency) into a minified ESM file with a source map, never Docker,
 *   so `cdk synth` works offline on a machine without a Docker engine;
 * - the AWS SDK clients it uses bundled at the pinned versions, nothing external (infra/bundling.ts);
 * - its own log group with a retention, JSON log format, and an explicit role that may only write to
 *   that log group (no AWSLambdaBasicExecutionRole managed policy, cdk-nag AwsSolutions-IAM4).
 *
 * X-Ray tracing stays off for now: HTTP APIs do not emit X-Ray segments, nothing calls the tracer yet, and
 * active tracing needs `xray:Put*` on `Resource: *`. Turn it on together with Powertools Tracer.
 */
export class ElementFunction extends Construct {
  readonly function: NodejsFunction;
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

    this.function = new NodejsFunction(this, 'Function', {
      entry: join(REPO_ROOT, definition.entry),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
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
      // SDK v3 reuses connections by default; the v2-era variable would only be noise.
      awsSdkConnectionReuse: false,
      environment: {
        ...props.environment,
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        LOG_LEVEL: props.logLevel,
        // Stack traces in the logs point at functions/*.ts instead of the minified bundle.
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        // Prefer the ESM build of dual packages so esbuild can tree-shake them.
        mainFields: [...BUNDLE_MAIN_FIELDS],
        banner: ESM_REQUIRE_BANNER,
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        externalModules: [...BUNDLE_EXTERNAL_MODULES],
        bundleAwsSDK: true,
        ...(definition.assetDirectory ? { commandHooks: copyIntoAsset(definition.assetDirectory) } : {}),
      },
    });
  }
}
