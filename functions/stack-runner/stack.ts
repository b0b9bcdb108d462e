/**
 * Runs a synthesized stack on this machine: the template's DynamoDB tables in dynalite, its queues and
 * buckets in fauxqs, its secrets in the Secrets Manager emulator, every Node.js function from its bundled
 * asset on the Lambda runtime's Node, the HTTP API in front, and the event sources that invoke the rest.
 * Each function gets its own access key; every AWS call it makes passes a proxy that checks it against
 * the function's role in the template. What the runner finds (AccessDenied, a missing environment
 * variable, a response over 6 MB, a limit the template breaks) is reported as a finding.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type AccessDeniedReport, type AwsProxy, type Principal, startAwsProxy } from './aws-proxy';
import type { AwsRequest, RequestedAccess } from './aws-requests';
import type { CpuQuotas } from './cpu-share';
import { ACCOUNT_ID, provisionResources, REGION, startEmulators } from './emulators';
import {
  type NotificationTarget,
  notificationMatches,
  rateToMs,
  s3EventOf,
  s3TestEvent,
  scheduledEvent,
  sendToQueue,
  startQueueMapping,
} from './event-sources';
import { type AuthorizerSpec, type CorsConfiguration, type RouteSpec, startFrontDoor } from './front-door';
import { evaluate, type PolicyStatement, wildcardMatches } from './iam';
import {
  createInvoker,
  type FunctionSpec,
  type InvocationReport,
  type InvokeResult,
  LAMBDA_PAYLOAD_LIMIT_BYTES,
  stageAsset,
} from './invoker';
import {
  LAMBDA_RESOURCE_POLICY_LIMIT_BYTES,
  type PolicySize,
  resourceCount,
  resourcePolicySizes,
  STACK_RESOURCE_LIMIT,
} from './limits';
import { missingRequiredVariables } from './required-environment';
import { physicalResources } from './resources';
import {
  type CfnTemplate,
  type CloudAssembly,
  type ResolveContext,
  readCloudAssembly,
  referencedLogicalId,
  resolveValue,
  resourcesOfType,
} from './template';

export { ACCOUNT_ID, REGION };

export type Finding =
  | {
      kind: 'access-denied';
      functionName: string | undefined;
      action: string;
      resource: string;
      message: string;
    }
  | { kind: 'missing-environment'; functionName: string; variable: string; message: string }
  | { kind: 'response-too-large'; functionName: string; message: string }
  | { kind: 'function-error'; functionName: string; errorType: string; message: string }
  | { kind: 'resource-policy-size'; functionName: string; bytes: number; permissions: number }
  | { kind: 'resource-count'; count: number }
  | { kind: 'not-emulated'; resource: string; message: string };

export interface StackRunnerOptions {
  /** A cloud assembly folder (`cdk synth --output`). */
  assemblyDir: string;
  /** Lambda runtime's Node binary. */
  nodePath: string;
  /** node_modules whose `@aws-sdk` stands in for the SDK the Lambda runtime ships. */
  nodeModules: string;
  /** Where the bundles' sources are: each function's required variables are checked against the template at start. */
  repoRoot?: string;
  port?: number;
  host?: string;
  /** dynalite's data and the secrets are kept here across restarts (queues and buckets are in memory). */
  dataDir?: string;
  /** Values of the platform secrets instead of generated ones, by the variable name without `_ARN`. */
  secretValues?: Record<string, string>;
  /** Divides every schedule's rate (tests: 60 runs a `rate(1 minute)` rule every second); 0 disables them. */
  scheduleSpeedup?: number;
  /** Changes the template before anything starts (tests remove a variable or a statement). */
  mutateTemplate?(template: CfnTemplate): void;
  onLog?(functionName: string, line: string): void;
  /** After each invocation, with what its REPORT line (also logged through onLog) says. */
  onReport?(report: InvocationReport): void;
  onAccessLog?(line: string): void;
  onFinding?(finding: Finding): void;
  maxEnvironmentsPerFunction?: number;
  /** Invocations at once per SQS event source: its MaximumConcurrency, at most this (default 2). */
  queueConcurrency?: number;
  /** Each execution environment limited to Lambda's CPU share for its memory (cpu-share.ts). */
  cpuQuotas?: CpuQuotas;
}

export interface RunningStack {
  /** `http://127.0.0.1:<port>` of the HTTP API. */
  origin: string;
  assembly: CloudAssembly;
  findings: Finding[];
  functions: Map<string, FunctionSpec>;
  policySizes: PolicySize[];
  /** Secret values by logical id. */
  secretValues: Map<string, string>;
  /** Values of the secrets functions find through a `<NAME>_ARN` variable, by NAME (ELEMENT_USER_SECRET...). */
  platformSecrets: Record<string, { value: string; stored: boolean }>;
  /** Invokes a function directly, as the Lambda Invoke API would (by logical id or name). */
  invoke(functionLogicalIdOrName: string, event: unknown): Promise<InvokeResult>;
  /** Runs every schedule rule's targets once now. */
  runSchedules(): Promise<void>;
  /** Ends the idle environments of a function (by logical id or name; every function without one). */
  recycleEnvironments(functionLogicalIdOrName?: string): Promise<void>;
  close(): Promise<void>;
}

const MISSING_VARIABLE = /\b([A-Z][A-Z0-9_]{2,}) is not set\b/;

const listOf = (value: unknown): unknown[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

export const startStack = async (options: StackRunnerOptions): Promise<RunningStack> => {
  const assembly = readCloudAssembly(options.assemblyDir);
  options.mutateTemplate?.(assembly.template);
  const { template, stackName } = assembly;
  const findings: Finding[] = [];
  const report = (finding: Finding) => {
    findings.push(finding);
    options.onFinding?.(finding);
  };
  const closers: (() => Promise<unknown> | unknown)[] = [];
  const close = async () => {
    for (const closer of closers.reverse()) await Promise.resolve(closer()).catch(() => undefined);
    closers.length = 0;
  };

  try {
    const dataDir = options.dataDir ? join(options.dataDir, 'stack-runner') : undefined;
    // Emulators, on loopback only.
    const emulators = await startEmulators(dataDir);
    closers.push(() => emulators.close());
    const { dynamoUrl, fauxqsUrl, secretsManager, sqsClient } = emulators;

    // Principals and S3 notifications are filled in once the functions and buckets are known.
    const principals = new Map<string, Principal>();
    const notifications: NotificationTarget[] = [];
    const onDenied = (denied: AccessDeniedReport) =>
      report({
        kind: 'access-denied',
        functionName: denied.functionName,
        action: denied.action,
        resource: denied.resource,
        message: denied.message,
      });
    const arnContext = {
      region: REGION,
      accountId: ACCOUNT_ID,
      secretArn: (id: string) => secretsManager.arnOf(id),
    };
    const proxyOptions = { principal: (key: string) => principals.get(key), arnContext, onDenied };
    const queueUrlByProxy = new Map<string, string>();
    let sqsProxyUrl = '';
    const sqsProxy: AwsProxy = await startAwsProxy({
      ...proxyOptions,
      service: 'sqs',
      upstream: fauxqsUrl,
      // Functions get queue URLs on the proxy's host (fauxqs's own `sqs.<region>.localhost` does not
      // resolve here); the emulator finds queues by its own URLs, so they are swapped both ways.
      rewrite: {
        request: (body) =>
          body.replace(
            /http:\/\/127\.0\.0\.1:\d+\/\d{12}\/[A-Za-z0-9_.-]+/g,
            (url) => queueUrlByProxy.get(url) ?? url,
          ),
        response: (body) => {
          let text = body;
          for (const [proxied, upstream] of queueUrlByProxy) text = text.split(upstream).join(proxied);
          return text;
        },
      },
    });
    sqsProxyUrl = sqsProxy.url;
    closers.push(() => sqsProxy.close());
    const s3Proxy = await startAwsProxy({
      ...proxyOptions,
      service: 's3',
      upstream: fauxqsUrl,
      onSuccess: (request, access, headers) => {
        void notifyS3(request, access, headers).catch((error: unknown) =>
          options.onLog?.('stack-runner', `S3 notification failed: ${String(error)}`),
        );
      },
    });
    closers.push(() => s3Proxy.close());
    const dynamoProxy = await startAwsProxy({ ...proxyOptions, service: 'dynamodb', upstream: dynamoUrl });
    closers.push(() => dynamoProxy.close());
    const secretsProxy = await startAwsProxy({
      ...proxyOptions,
      service: 'secretsmanager',
      upstream: secretsManager.endpoint,
    });
    closers.push(() => secretsProxy.close());

    // Physical names and attributes of every resource, as Ref / Fn::GetAtt answer them.
    const host = options.host ?? '127.0.0.1';
    const { physical, apiIds, secretValues, secretEnvNames, storedSecrets } = physicalResources({
      template,
      stackName,
      sqsProxyUrl,
      apiEndpoint: `http://${host}:${options.port ?? 0}`,
      secretsManager,
      ...(options.secretValues ? { secretValues: options.secretValues } : {}),
    });
    const resolveContext: ResolveContext = {
      region: REGION,
      accountId: ACCOUNT_ID,
      partition: 'aws',
      stackName,
      physical: (logicalId) => physical.get(logicalId),
    };
    const resolve = <T = unknown>(value: unknown) => resolveValue(value, resolveContext) as T;

    // Tables, queues (with their redrive policies) and buckets, as the template declares them.
    const upstreamQueueUrl = await provisionResources(emulators, template, physical, resolve);
    for (const [logicalId, url] of upstreamQueueUrl) queueUrlByProxy.set(physical.get(logicalId)!.ref, url);

    // Roles: the statements of every AWS::IAM::Policy attached to them, and their inline policies.
    const statementsOfRole = new Map<string, PolicyStatement[]>();
    for (const [roleId, role] of resourcesOfType(template, 'AWS::IAM::Role')) {
      const inline = listOf(role.Properties?.Policies).flatMap((policy) =>
        listOf((policy as { PolicyDocument?: { Statement?: unknown } }).PolicyDocument?.Statement),
      );
      statementsOfRole.set(roleId, resolve<PolicyStatement[]>(inline));
    }
    for (const [, policy] of resourcesOfType(template, 'AWS::IAM::Policy')) {
      const statements = resolve<PolicyStatement[]>(
        listOf((policy.Properties?.PolicyDocument as { Statement?: unknown } | undefined)?.Statement),
      );
      for (const role of listOf(policy.Properties?.Roles)) {
        const roleId = referencedLogicalId(role);
        if (roleId) statementsOfRole.set(roleId, [...(statementsOfRole.get(roleId) ?? []), ...statements]);
      }
    }

    // Functions: staged outside the repository, one access key each.
    const stagingRoot = mkdtempSync(join(tmpdir(), 'snow-element-stack-'));
    closers.push(() => rmSync(stagingRoot, { recursive: true, force: true }));
    const functions = new Map<string, FunctionSpec>();
    const functionsByName = new Map<string, FunctionSpec>();
    let keyIndex = 0;
    for (const [logicalId, fn] of resourcesOfType(template, 'AWS::Lambda::Function')) {
      const properties = fn.Properties ?? {};
      const code = properties.Code as { S3Key?: unknown } | undefined;
      const assetHash = typeof code?.S3Key === 'string' ? code.S3Key.replace(/\.zip$/, '') : undefined;
      const assetDir = assetHash ? assembly.assets.get(assetHash) : undefined;
      const runtime = String(properties.Runtime ?? '');
      if (!assetDir || !runtime.startsWith('nodejs')) {
        report({
          kind: 'not-emulated',
          resource: logicalId,
          message: `runtime ${runtime || 'unknown'} with inline or missing code is not run`,
        });
        continue;
      }
      const functionName = physical.get(logicalId)!.ref;
      const roleId = referencedLogicalId(properties.Role);
      const roleName = roleId ? (physical.get(roleId)?.ref ?? roleId) : 'unknown';
      if (roleId && template.Resources[roleId]?.Properties?.ManagedPolicyArns) {
        report({
          kind: 'not-emulated',
          resource: roleId,
          message: 'managed policies are not evaluated (their statements are not in the template)',
        });
      }
      keyIndex += 1;
      const accessKeyId = `ASIASTACKRUNNER${String(keyIndex).padStart(5, '0')}`;
      const secretAccessKey = randomBytes(30).toString('base64');
      principals.set(accessKeyId, {
        accessKeyId,
        functionName,
        principalArn: `arn:aws:sts::${ACCOUNT_ID}:assumed-role/${roleName}/${functionName}`,
        statements: roleId ? (statementsOfRole.get(roleId) ?? []) : [],
      });
      const variables = resolve<Record<string, unknown>>(
        (properties.Environment as { Variables?: unknown } | undefined)?.Variables ?? {},
      );
      const memoryMb = Number(properties.MemorySize ?? 128);
      const timeoutSeconds = Number(properties.Timeout ?? 3);
      const taskRoot = join(stagingRoot, functionName);
      stageAsset(assetDir, taskRoot, options.nodeModules);
      const logging = properties.LoggingConfig as
        | { LogFormat?: string; ApplicationLogLevel?: string; LogGroup?: unknown }
        | undefined;
      const logGroup = logging?.LogGroup ? resolve<string>(logging.LogGroup) : `/aws/lambda/${functionName}`;
      const environment: Record<string, string> = {
        // What the Lambda nodejs runtime sets.
        PATH: `${dirname(options.nodePath)}:/usr/local/bin:/usr/bin:/bin`,
        LANG: 'en_US.UTF-8',
        TZ: ':UTC',
        LAMBDA_TASK_ROOT: taskRoot,
        LAMBDA_RUNTIME_DIR: dirname(options.nodePath),
        _HANDLER: String(properties.Handler ?? 'index.handler'),
        AWS_EXECUTION_ENV: `AWS_Lambda_${runtime}`,
        AWS_REGION: REGION,
        AWS_DEFAULT_REGION: REGION,
        AWS_LAMBDA_FUNCTION_NAME: functionName,
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
        AWS_LAMBDA_LOG_GROUP_NAME: logGroup,
        AWS_LAMBDA_LOG_STREAM_NAME: `${new Date().toISOString().slice(0, 10).replace(/-/g, '/')}/[$LATEST]${randomUUID().replace(/-/g, '')}`,
        AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
        ...(logging?.LogFormat ? { AWS_LAMBDA_LOG_FORMAT: logging.LogFormat } : {}),
        ...(logging?.ApplicationLogLevel ? { AWS_LAMBDA_LOG_LEVEL: logging.ApplicationLogLevel } : {}),
        AWS_ACCESS_KEY_ID: accessKeyId,
        AWS_SECRET_ACCESS_KEY: secretAccessKey,
        AWS_SESSION_TOKEN: randomBytes(24).toString('base64'),
        AWS_ENDPOINT_URL_DYNAMODB: dynamoProxy.url,
        AWS_ENDPOINT_URL_SQS: sqsProxy.url,
        AWS_ENDPOINT_URL_S3: s3Proxy.url,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsProxy.url,
        // The template's variables, exactly (Lambda refuses to let them override the reserved ones above).
        ...Object.fromEntries(Object.entries(variables).map(([key, value]) => [key, String(value)])),
      };
      const spec: FunctionSpec = {
        logicalId,
        name: functionName,
        arn: physical.get(logicalId)!.attributes.Arn!,
        handler: environment._HANDLER!,
        taskRoot,
        environment,
        timeoutSeconds,
        memoryMb,
      };
      functions.set(logicalId, spec);
      functionsByName.set(functionName, spec);
    }

    const reportedMissing = new Set<string>();
    if (options.repoRoot) {
      for (const { functionLogicalId, variable } of missingRequiredVariables(assembly, options.repoRoot)) {
        const functionName = functions.get(functionLogicalId)?.name ?? functionLogicalId;
        reportedMissing.add(`${functionName} ${variable}`);
        report({
          kind: 'missing-environment',
          functionName,
          variable,
          message: `its bundle requires ${variable} and the template does not set it`,
        });
      }
    }
    const noticeMissing = (functionName: string, text: string) => {
      const variable = MISSING_VARIABLE.exec(text)?.[1];
      if (!variable || reportedMissing.has(`${functionName} ${variable}`)) return;
      reportedMissing.add(`${functionName} ${variable}`);
      report({ kind: 'missing-environment', functionName, variable, message: text.slice(0, 500) });
    };
    const invoker = createInvoker({
      nodePath: options.nodePath,
      maxEnvironments: options.maxEnvironmentsPerFunction ?? 3,
      onLog: (functionName, line) => {
        noticeMissing(functionName, line);
        options.onLog?.(functionName, line);
      },
      ...(options.onReport ? { onReport: options.onReport } : {}),
      ...(options.cpuQuotas ? { cpuQuotas: options.cpuQuotas } : {}),
    });
    closers.push(() => invoker.close());
    const invoke = async (functionName: string, event: unknown): Promise<InvokeResult> => {
      const spec = functionsByName.get(functionName) ?? functions.get(functionName);
      if (!spec) {
        return {
          ok: false,
          errorType: 'ResourceNotFoundException',
          errorMessage: `Function not found: ${functionName}`,
          durationMs: 0,
        };
      }
      const result = await invoker.invoke(spec, event);
      if (!result.ok) {
        noticeMissing(spec.name, result.errorMessage);
        if (result.errorType === 'Function.ResponseSizeTooLarge') {
          report({ kind: 'response-too-large', functionName: spec.name, message: result.errorMessage });
        } else {
          report({
            kind: 'function-error',
            functionName: spec.name,
            errorType: result.errorType,
            message: result.errorMessage,
          });
        }
      }
      return result;
    };

    // S3 event notifications: from the bucket's NotificationConfiguration or CDK's custom resource.
    const addNotifications = (bucketName: string, configuration: Record<string, unknown> | undefined) => {
      const entries = [
        ...listOf(configuration?.QueueConfigurations).map((entry) => ({ entry, kind: 'queue' as const })),
        ...listOf(configuration?.LambdaConfigurations).map((entry) => ({ entry, kind: 'function' as const })),
      ];
      for (const [index, { entry, kind }] of entries.entries()) {
        const item = entry as Record<string, unknown>;
        // CloudFormation spells the key filter `Filter.S3Key.Rules`, the S3 API (CDK's custom resource) `Filter.Key.FilterRules`.
        const filter = item.Filter as
          | { Key?: { FilterRules?: unknown }; S3Key?: { Rules?: unknown } }
          | undefined;
        const rules = listOf(filter?.Key?.FilterRules ?? filter?.S3Key?.Rules) as {
          Name: string;
          Value: string;
        }[];
        const prefix = rules.find((rule) => rule.Name.toLowerCase() === 'prefix')?.Value;
        const suffix = rules.find((rule) => rule.Name.toLowerCase() === 'suffix')?.Value;
        const target: NotificationTarget = {
          bucket: bucketName,
          events: listOf(item.Events ?? item.Event).map(String),
          id: String(item.Id ?? `notification-${index}`),
          ...(prefix !== undefined ? { prefix } : {}),
          ...(suffix !== undefined ? { suffix } : {}),
        };
        if (kind === 'queue') {
          const queueArn = String(item.QueueArn ?? item.Queue);
          const queueName = queueArn.split(':').pop() ?? '';
          const queueLogicalId = [...physical.entries()].find(
            ([, p]) => p.attributes.QueueName === queueName,
          )?.[0];
          const queueUrl = queueLogicalId ? upstreamQueueUrl.get(queueLogicalId) : undefined;
          if (!queueUrl) continue;
          target.queueUrl = queueUrl;
        } else {
          target.functionName =
            String(item.LambdaFunctionArn ?? item.Function)
              .split(':')
              .pop() ?? '';
        }
        notifications.push(target);
      }
    };
    for (const [, bucket] of resourcesOfType(template, 'AWS::S3::Bucket')) {
      if (bucket.Properties?.NotificationConfiguration && bucket.Properties.BucketName) {
        addNotifications(
          String(bucket.Properties.BucketName),
          resolve(bucket.Properties.NotificationConfiguration),
        );
      }
    }
    for (const [logicalId, bucket] of resourcesOfType(template, 'AWS::S3::Bucket')) {
      if (bucket.Properties?.NotificationConfiguration && !bucket.Properties.BucketName) {
        addNotifications(physical.get(logicalId)!.ref, resolve(bucket.Properties.NotificationConfiguration));
      }
    }
    for (const [, custom] of resourcesOfType(template, 'Custom::S3BucketNotifications')) {
      const properties = resolve<Record<string, unknown>>(custom.Properties ?? {});
      addNotifications(
        String(properties.BucketName),
        properties.NotificationConfiguration as Record<string, unknown>,
      );
    }
    // S3 tests a queue destination when the configuration is put, with one s3:TestEvent message.
    for (const target of notifications) {
      if (target.queueUrl) await sendToQueue(sqsClient, target.queueUrl, s3TestEvent(target.bucket));
    }
    const notifyS3 = async (
      request: AwsRequest,
      access: RequestedAccess[],
      headers: Record<string, unknown>,
    ) => {
      const url = new URL(request.url, 'http://x');
      const put = access.find((item) => item.action === 's3:PutObject');
      if (!put) return;
      let eventName: string;
      if (request.method === 'PUT' && !url.searchParams.has('partNumber')) {
        eventName = request.headers['x-amz-copy-source'] ? 'ObjectCreated:Copy' : 'ObjectCreated:Put';
      } else if (request.method === 'POST' && url.searchParams.has('uploadId')) {
        eventName = 'ObjectCreated:CompleteMultipartUpload';
      } else {
        return;
      }
      const [, bucket = '', ...rest] = put.resource.replace('arn:aws:s3:::', '/').split('/');
      const key = rest.join('/');
      for (const target of notifications) {
        if (target.bucket !== bucket || !notificationMatches(target, eventName, key)) continue;
        const event = s3EventOf({
          bucket,
          key,
          eventName,
          size: eventName === 'ObjectCreated:Put' ? request.body.length : 0,
          ...(typeof headers.etag === 'string' ? { etag: headers.etag } : {}),
          configurationId: target.id,
          region: REGION,
        });
        if (target.queueUrl) await sendToQueue(sqsClient, target.queueUrl, event);
        if (target.functionName) void invoke(target.functionName, event);
      }
    };

    // SQS event source mappings: the function's role must allow the poller's calls, as Lambda checks.
    const mappings: ReturnType<typeof startQueueMapping>[] = [];
    closers.push(() => Promise.all(mappings.map((mapping) => mapping.stop())));
    for (const [logicalId, mapping] of resourcesOfType(template, 'AWS::Lambda::EventSourceMapping')) {
      const properties = mapping.Properties ?? {};
      const functionId = referencedLogicalId(properties.FunctionName);
      const queueId = referencedLogicalId(properties.EventSourceArn);
      const spec = functionId ? functions.get(functionId) : undefined;
      const queueUrl = queueId ? upstreamQueueUrl.get(queueId) : undefined;
      if (!spec || !queueUrl || !queueId) {
        report({
          kind: 'not-emulated',
          resource: logicalId,
          message: 'event source is not an emulated queue',
        });
        continue;
      }
      const queueArn = physical.get(queueId)!.attributes.Arn!;
      const principal = [...principals.values()].find((candidate) => candidate.functionName === spec.name)!;
      const missing = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'].filter(
        (action) => evaluate(principal.statements, action, queueArn) !== 'allowed',
      );
      if (missing.length > 0) {
        for (const action of missing) {
          report({
            kind: 'access-denied',
            functionName: spec.name,
            action,
            resource: queueArn,
            message: `The function execution role does not have permissions to call ${action.replace('sqs:', '')} on SQS (event source mapping ${logicalId})`,
          });
        }
        continue;
      }
      if (properties.Enabled === false) continue;
      const maximum = Number(
        (properties.ScalingConfig as { MaximumConcurrency?: number } | undefined)?.MaximumConcurrency ?? 2,
      );
      mappings.push(
        startQueueMapping(
          {
            id: logicalId,
            functionName: spec.name,
            queueUrl,
            queueArn,
            batchSize: Number(properties.BatchSize ?? 10),
            reportBatchItemFailures: listOf(properties.FunctionResponseTypes).includes(
              'ReportBatchItemFailures',
            ),
            concurrency: Math.min(options.queueConcurrency ?? 2, maximum),
            region: REGION,
          },
          sqsClient,
          invoke,
          (error) => options.onLog?.('stack-runner', `event source ${logicalId}: ${String(error)}`),
        ),
      );
    }

    // Schedule rules.
    const schedules: { ruleArn: string; targets: string[]; running: boolean }[] = [];
    for (const [logicalId, rule] of resourcesOfType(template, 'AWS::Events::Rule')) {
      const properties = rule.Properties ?? {};
      if (!properties.ScheduleExpression || properties.State === 'DISABLED') continue;
      const targets = listOf(properties.Targets)
        .map((target) => referencedLogicalId((target as { Arn?: unknown }).Arn))
        .flatMap((id) => (id && functions.has(id) ? [functions.get(id)!.name] : []));
      schedules.push({ ruleArn: physical.get(logicalId)!.attributes.Arn!, targets, running: false });
      const every = rateToMs(String(properties.ScheduleExpression));
      const speedup = options.scheduleSpeedup ?? 1;
      if (every === undefined) {
        report({
          kind: 'not-emulated',
          resource: logicalId,
          message: `schedule ${String(properties.ScheduleExpression)} is not run`,
        });
      } else if (speedup > 0) {
        const schedule = schedules.at(-1)!;
        const timer = setInterval(() => void runSchedule(schedule), every / speedup);
        timer.unref();
        closers.push(() => clearInterval(timer));
      }
    }
    const runSchedule = async (schedule: (typeof schedules)[number]) => {
      // One run at a time: EventBridge would overlap them, but one machine should not pile them up.
      if (schedule.running) return;
      schedule.running = true;
      try {
        await Promise.all(
          schedule.targets.map((target) =>
            invoke(target, scheduledEvent(schedule.ruleArn, REGION, ACCOUNT_ID)),
          ),
        );
      } finally {
        schedule.running = false;
      }
    };

    // The HTTP API.
    const [apiLogicalId, api] = resourcesOfType(template, 'AWS::ApiGatewayV2::Api')[0] ?? [];

    const integrationFunction = new Map<string, { functionName: string; timeoutMs: number }>();
    for (const [logicalId, integration] of resourcesOfType(template, 'AWS::ApiGatewayV2::Integration')) {
      const target = referencedLogicalId(integration.Properties?.IntegrationUri);
      const spec = target ? functions.get(target) : undefined;
      if (!spec) continue;
      integrationFunction.set(logicalId, {
        functionName: spec.name,
        timeoutMs: Number(integration.Properties?.TimeoutInMillis ?? 30_000),
      });
    }
    const authorizers = new Map<string, AuthorizerSpec>();
    for (const [logicalId, authorizer] of resourcesOfType(template, 'AWS::ApiGatewayV2::Authorizer')) {
      const properties = authorizer.Properties ?? {};
      const uri = JSON.stringify(properties.AuthorizerUri ?? '');
      const spec = [...functions.values()].find((candidate) => uri.includes(`"${candidate.logicalId}"`));
      if (!spec) continue;
      authorizers.set(logicalId, {
        id: logicalId,
        name: String(properties.Name ?? logicalId),
        functionName: spec.name,
        identitySource: listOf(properties.IdentitySource).map(String),
        resultTtlSeconds: Number(properties.AuthorizerResultTtlInSeconds ?? 0),
        simpleResponses: properties.EnableSimpleResponses === true,
        payloadFormatVersion: String(properties.AuthorizerPayloadFormatVersion ?? '2.0'),
      });
    }
    // Lambda resource policies: API Gateway may invoke a function only where a permission allows its source.
    const permissions = resourcesOfType(template, 'AWS::Lambda::Permission').map(([, permission]) => {
      const properties = permission.Properties ?? {};
      return {
        functionLogicalId: referencedLogicalId(properties.FunctionName),
        principal: String(properties.Principal),
        action: String(properties.Action),
        sourceArn: properties.SourceArn === undefined ? undefined : resolve<string>(properties.SourceArn),
      };
    });
    const apiId = apiLogicalId ? (apiIds.get(apiLogicalId) ?? 'local') : 'local';
    const executeApiArn = (resource: string) =>
      `arn:aws:execute-api:${REGION}:${ACCOUNT_ID}:${apiId}/${resource}`;
    const reportedInvokes = new Set<string>();
    const checkInvoke = (functionLogicalId: string, sourceArn: string): boolean => {
      const allowed = permissions.some(
        (permission) =>
          permission.functionLogicalId === functionLogicalId &&
          (permission.principal === 'apigateway.amazonaws.com' || permission.principal === '*') &&
          wildcardMatches(permission.action, 'lambda:InvokeFunction', true) &&
          (permission.sourceArn === undefined || wildcardMatches(permission.sourceArn, sourceArn)),
      );
      const spec = functions.get(functionLogicalId);
      if (!allowed && spec && !reportedInvokes.has(sourceArn)) {
        reportedInvokes.add(sourceArn);
        report({
          kind: 'access-denied',
          functionName: spec.name,
          action: 'lambda:InvokeFunction',
          resource: spec.arn,
          message: `The resource-based policy of ${spec.name} does not let apigateway.amazonaws.com invoke it from ${sourceArn}`,
        });
      }
      return allowed;
    };
    for (const authorizer of authorizers.values()) {
      const spec = functionsByName.get(authorizer.functionName);
      const ref = physical.get(authorizer.id)?.ref ?? authorizer.id;
      if (spec) authorizer.invokeAllowed = checkInvoke(spec.logicalId, executeApiArn(`authorizers/${ref}`));
    }
    const routes: RouteSpec[] = [];
    for (const [logicalId, route] of resourcesOfType(template, 'AWS::ApiGatewayV2::Route')) {
      const properties = route.Properties ?? {};
      const routeKey = String(properties.RouteKey);
      const targetText = JSON.stringify(properties.Target ?? '');
      const integrationId = [...integrationFunction.keys()].find((id) => targetText.includes(`"${id}"`));
      const integration = integrationId ? integrationFunction.get(integrationId) : undefined;
      if (!integration) {
        report({
          kind: 'not-emulated',
          resource: logicalId,
          message: `route ${routeKey} has no Lambda integration`,
        });
        continue;
      }
      const [method = 'ANY', path = '/'] = routeKey.split(' ');
      const authorizerId = referencedLogicalId(properties.AuthorizerId);
      const authorizer =
        properties.AuthorizationType === 'CUSTOM' && authorizerId ? authorizers.get(authorizerId) : undefined;
      if (properties.AuthorizationType === 'CUSTOM' && !authorizer) {
        report({
          kind: 'not-emulated',
          resource: logicalId,
          message: `route ${routeKey}: its authorizer is not a function of the stack`,
        });
        continue;
      }
      const integrationSpec = functionsByName.get(integration.functionName)!;
      routes.push({
        routeKey,
        method,
        path,
        functionName: integration.functionName,
        invokeAllowed: checkInvoke(integrationSpec.logicalId, executeApiArn(`$default/${method}${path}`)),
        integrationTimeoutMs: Math.min(integration.timeoutMs, 30_000),
        ...(authorizer ? { authorizer } : {}),
      });
    }
    const stage = resourcesOfType(template, 'AWS::ApiGatewayV2::Stage')[0]?.[1];
    const accessLogFormat = (stage?.Properties?.AccessLogSettings as { Format?: string } | undefined)?.Format;
    const cors = api?.Properties?.CorsConfiguration as CorsConfiguration | undefined;
    const frontDoor = await startFrontDoor({
      port: options.port ?? 0,
      host,
      apiId,
      region: REGION,
      accountId: ACCOUNT_ID,
      routes,
      ...(cors ? { cors: resolve<CorsConfiguration>(cors) } : {}),
      ...(accessLogFormat ? { accessLogFormat } : {}),
      invoke,
      ...(options.onAccessLog ? { onAccessLog: options.onAccessLog } : {}),
    });
    closers.push(() => frontDoor.close());

    // Deploy-time limits.
    const policySizes = resourcePolicySizes(template, stackName).map((size) => ({
      ...size,
      functionLogicalId: size.functionLogicalId,
    }));
    for (const size of policySizes) {
      if (size.bytes > LAMBDA_RESOURCE_POLICY_LIMIT_BYTES * 0.8) {
        report({
          kind: 'resource-policy-size',
          functionName: functions.get(size.functionLogicalId)?.name ?? size.functionLogicalId,
          bytes: size.bytes,
          permissions: size.permissions,
        });
      }
    }
    const count = resourceCount(template);
    if (count > STACK_RESOURCE_LIMIT * 0.8) report({ kind: 'resource-count', count });
    if (dataDir) mkdirSync(dataDir, { recursive: true });

    return {
      origin: frontDoor.origin,
      assembly,
      findings,
      functions,
      policySizes,
      secretValues,
      platformSecrets: Object.fromEntries(
        [...secretEnvNames].flatMap(([logicalId, variable]) =>
          secretValues.has(logicalId)
            ? [[variable, { value: secretValues.get(logicalId)!, stored: storedSecrets.has(logicalId) }]]
            : [],
        ),
      ),
      invoke,
      runSchedules: async () => {
        await Promise.all(schedules.map((schedule) => runSchedule(schedule)));
      },
      recycleEnvironments: (functionLogicalIdOrName?: string) =>
        invoker.recycle(
          functionLogicalIdOrName === undefined
            ? undefined
            : (functions.get(functionLogicalIdOrName)?.name ?? functionLogicalIdOrName),
        ),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
};

/** A finding as one line for a terminal or a test failure message. */
export const describeFinding = (finding: Finding): string => {
  switch (finding.kind) {
    case 'access-denied':
      return `AccessDenied: ${finding.functionName ?? 'unknown caller'} ${finding.action} on ${finding.resource}`;
    case 'missing-environment':
      return `Missing environment: ${finding.functionName} needs ${finding.variable}`;
    case 'response-too-large':
      return `Response over ${LAMBDA_PAYLOAD_LIMIT_BYTES} bytes: ${finding.functionName}: ${finding.message}`;
    case 'function-error':
      return `Function error: ${finding.functionName} ${finding.errorType}: ${finding.message}`;
    case 'resource-policy-size':
      return `Resource policy of ${finding.functionName}: ${finding.bytes} bytes in ${finding.permissions} permissions (limit ${LAMBDA_RESOURCE_POLICY_LIMIT_BYTES})`;
    case 'resource-count':
      return `Template has ${finding.count} resources (limit ${STACK_RESOURCE_LIMIT})`;
    case 'not-emulated':
      return `Not emulated: ${finding.resource}: ${finding.message}`;
  }
};
