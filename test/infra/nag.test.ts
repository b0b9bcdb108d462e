import { App, type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { BUCKET_NOTIFICATIONS_HANDLER_ID } from '../../infra/constructs';
import { removedAfterSuite, type SynthesizedElement, synthesizeElement, testOutdir } from './synthesize';

const removeAfterSuite = removedAfterSuite();

/** The one wildcard resource the stack grants: instance secrets, created at run time (infra/constructs/instances.ts). */
const INSTANCE_SECRETS_AS_NAG_SEES =
  'arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:snow-element/SnowElement/instances/*';

/** One synthesis for the tests that look at the element stack (each synthesis costs seconds). */
let element: SynthesizedElement | undefined;
const synthesizedOnce = (): SynthesizedElement => {
  if (!element) {
    element = synthesizeElement();
    removeAfterSuite(element.outdir);
  }
  return element;
};

const findings = (report: ReturnType<AwsSolutionsChecks['validateScope']>) =>
  report.violations.flatMap((violation) =>
    violation.violatingResources.map(
      (resource) => `${violation.ruleName} at ${resource.constructPath ?? resource.resourceLogicalId}`,
    ),
  );

/**
 * Acknowledgements recorded on the construct tree by Validations.of(x).acknowledge: metadata entries
 * `{ 'Annotation::<rule id>': reason }` (cdk-nag strips the prefix when it matches findings).
 */
const acknowledgements = (root: App) =>
  root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>))
      .map(([id, reason]) => ({ path: construct.node.path, id: id.replace(/^annotation::/i, ''), reason })),
  );

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing unacknowledged in the element stack', () => {
    const element = synthesizedOnce();
    const report = new AwsSolutionsChecks().validateScope(element.stack);
    expect(findings(report)).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('acknowledges only what is justified, each with a specific reason', () => {
    const element = synthesizedOnce();
    const acks = acknowledgements(element.app);
    // Bulk files are created at run time under jobs/ and incoming/ of the one staging bucket (infra/constructs/bulk.ts).
    const bucketId = element.stack.getLogicalId(element.stack.bulk.bucket.node.defaultChild as CfnElement);
    const bulkObjectAcks = (rolePath: string) =>
      ['jobs/*', 'incoming/*'].map(
        (prefix) => `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${prefix}] ${rolePath}`,
      );
    expect(acks.map((ack) => `${ack.id} ${ack.path}`).sort()).toEqual(
      [
        'AwsSolutions-APIG4 SnowElementStack/Api/HttpApi/GET--elements--api-v2--ping',
        ...['GET--elements--api-v2--console', 'HEAD--elements--api-v2--console']
          .flatMap((route) => [route, `${route}--{proxy+}`])
          .map((route) => `AwsSolutions-APIG4 SnowElementStack/Api/HttpApi/${route}`),
        'AwsSolutions-APIG4 SnowElementStack/Api/HttpApi/GET--elements--api-v2--console--oauth--callback',
        `AwsSolutions-IAM5[Resource::${INSTANCE_SECRETS_AS_NAG_SEES.replace('/instances/*', '/console/*')}] SnowElementStack/Api/InstancesFunction/Role`,
        `AwsSolutions-IAM5[Resource::${INSTANCE_SECRETS_AS_NAG_SEES}] SnowElementStack/Api/InstancesFunction/Role`,
        `AwsSolutions-IAM5[Resource::${INSTANCE_SECRETS_AS_NAG_SEES}] SnowElementStack/Api/HubFunction/Role`,
        `AwsSolutions-IAM5[Resource::${INSTANCE_SECRETS_AS_NAG_SEES}] SnowElementStack/Api/EventsFunction/Role`,
        `AwsSolutions-IAM5[Resource::${INSTANCE_SECRETS_AS_NAG_SEES}] SnowElementStack/Events/Poll/WorkerFunction/Role`,
        `AwsSolutions-IAM5[Resource::${INSTANCE_SECRETS_AS_NAG_SEES}] SnowElementStack/Events/DispatcherFunction/Role`,
        `AwsSolutions-IAM5[Resource::${INSTANCE_SECRETS_AS_NAG_SEES}] SnowElementStack/Api/BulkFunction/Role`,
        `AwsSolutions-IAM5[Resource::${INSTANCE_SECRETS_AS_NAG_SEES}] SnowElementStack/Bulk/WorkerFunction/Role`,
        ...bulkObjectAcks('SnowElementStack/Api/BulkFunction/Role'),
        ...bulkObjectAcks('SnowElementStack/Bulk/WorkerFunction/Role'),
        'AwsSolutions-S1 SnowElementStack/Bulk/AccessLogBucket',
        `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole] SnowElementStack/${BUCKET_NOTIFICATIONS_HANDLER_ID}/Role`,
        'AwsSolutions-SMG4 SnowElementStack/Foundation/Secrets/OrganizationSecret',
        'AwsSolutions-SMG4 SnowElementStack/Foundation/Secrets/UserSecret',
      ].sort(),
    );
    for (const ack of acks) expect(ack.reason.length).toBeGreaterThanOrEqual(40);
  });

  it('can fail: an unencrypted queue without DLQ or TLS policy is reported', () => {
    const outdir = removeAfterSuite(testOutdir('nag-negative'));
    const stack = new Stack(new App({ outdir }), 'Negative');
    new sqs.Queue(stack, 'Queue', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(report.success).toBe(false);
    expect(report.violations.map((violation) => violation.ruleName)).toEqual(
      expect.arrayContaining(['AwsSolutions-SQS2', 'AwsSolutions-SQS3', 'AwsSolutions-SQS4']),
    );
  });

  it('makes synthesis fail when registered as the app does it', () => {
    const outdir = removeAfterSuite(testOutdir('nag-synth'));
    const app = new App({ outdir });
    new sqs.Queue(new Stack(app, 'Negative'), 'Queue', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS4/);
  });
});
