import { describe, expect, it } from 'vitest';
import { BACKGROUND_FUNCTIONS, ROUTES } from '../../functions/routes';
import {
  BUCKET_NOTIFICATIONS_HANDLER_ID,
  BULK_KEY_PREFIXES,
  BULK_QUEUE_SETTINGS,
  BulkConstruct,
} from '../../infra/constructs';
import { DEFAULT_STALLED_JOB_MS } from '../../shared/bulk/jobs';
import { bulkWorkerOptionsFromEnv } from '../../shared/bulk/worker';
import {
  arnOf,
  consumeStatement,
  expectDeadLetterAlarm,
  expectFunctionOf,
  expectRoutesServedBy,
  instanceDataStatements,
  logicalId,
  statementsOfRole,
  synthesizeForSuite,
  templateQueries,
  tlsOnlyQueueStatement,
} from './synthesize';

const element = synthesizeForSuite();
const { resource, variablesOf, mappingsOf, queuePolicyOf } = templateQueries(element);

const ids = () => {
  const { stack } = element;
  const { bulk, foundation } = stack;
  return {
    bucket: logicalId(stack, bulk.bucket),
    logBucket: logicalId(stack, bulk.accessLogBucket),
    queue: logicalId(stack, bulk.queue),
    dlq: logicalId(stack, bulk.deadLetterQueue),
    queueKey: logicalId(stack, bulk.queueKey),
    key: logicalId(stack, foundation.key),
    worker: logicalId(stack, bulk.worker.function),
    workerLogGroup: logicalId(stack, bulk.worker.logGroup),
    api: logicalId(stack, stack.api.functions.bulk.function),
    apiLogGroup: logicalId(stack, stack.api.functions.bulk.logGroup),
  };
};

const objectsUnder = (bucketId: string, prefix: string) => ({
  'Fn::Join': ['', [arnOf(bucketId), `/${prefix}`]],
});
const bucketPolicyOf = (bucketId: string) =>
  Object.values(element.template.findResources('AWS::S3::BucketPolicy')).filter(
    (policy) => JSON.stringify(policy.Properties.Bucket) === JSON.stringify({ Ref: bucketId }),
  );
const tlsOnlyBucketStatement = (bucketId: string) => ({
  Action: 's3:*',
  Condition: { Bool: { 'aws:SecureTransport': 'false' } },
  Effect: 'Deny',
  Principal: { AWS: '*' },
  Resource: [arnOf(bucketId), objectsUnder(bucketId, '*')],
});
const PUBLIC_ACCESS_BLOCKED = {
  BlockPublicAcls: true,
  BlockPublicPolicy: true,
  IgnorePublicAcls: true,
  RestrictPublicBuckets: true,
};
const SECRETS_GET_PUT = ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'];

describe('bulk construct: staging bucket', () => {
  it('encrypts with the stack key (bucket key on), blocks public access, disables ACLs, keeps no versions', () => {
    const { bucket, key } = ids();
    expect(element.stack.bulk).toBeInstanceOf(BulkConstruct);
    const staging = resource('AWS::S3::Bucket', bucket);
    expect(staging?.DeletionPolicy).toBe('Retain');
    expect(staging?.Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: arnOf(key) },
          },
        ],
      },
      PublicAccessBlockConfiguration: PUBLIC_ACCESS_BLOCKED,
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
    expect(staging?.Properties.VersioningConfiguration).toBeUndefined();
    expect(staging?.Properties.BucketName).toBeUndefined();
  });

  it('expires every file after 3 days and incomplete multipart uploads after 1 day', () => {
    const { bucket } = ids();
    expect(resource('AWS::S3::Bucket', bucket)?.Properties.LifecycleConfiguration).toEqual({
      Rules: [
        {
          Id: 'ExpireBulkFiles',
          Status: 'Enabled',
          ExpirationInDays: 3,
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
        },
      ],
    });
  });

  it('refuses requests without TLS and grants nothing to anyone in its bucket policy', () => {
    const { bucket } = ids();
    const policies = bucketPolicyOf(bucket);
    expect(policies).toHaveLength(1);
    expect(policies[0]?.Properties.PolicyDocument.Statement).toEqual([tlsOnlyBucketStatement(bucket)]);
  });

  it('writes server access logs to a private log bucket that only S3 log delivery for this bucket may write', () => {
    const { bucket, logBucket } = ids();
    expect(resource('AWS::S3::Bucket', bucket)?.Properties.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: logBucket },
      LogFilePrefix: 'staging/',
    });
    const logs = resource('AWS::S3::Bucket', logBucket);
    expect(logs?.DeletionPolicy).toBe('Retain');
    expect(logs?.Properties).toEqual({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      LifecycleConfiguration: {
        Rules: [{ Id: 'ExpireAccessLogs', Status: 'Enabled', ExpirationInDays: 90 }],
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      PublicAccessBlockConfiguration: PUBLIC_ACCESS_BLOCKED,
    });
    const policies = bucketPolicyOf(logBucket);
    expect(policies).toHaveLength(1);
    expect(policies[0]?.Properties.PolicyDocument.Statement).toEqual([
      tlsOnlyBucketStatement(logBucket),
      {
        Action: 's3:PutObject',
        Effect: 'Allow',
        Principal: { Service: 'logging.s3.amazonaws.com' },
        Resource: objectsUnder(logBucket, 'staging/*'),
        Condition: {
          ArnLike: { 'aws:SourceArn': arnOf(bucket) },
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        },
      },
    ]);
    element.template.resourceCountIs('AWS::S3::Bucket', 2);
  });

  it('notifies the bulk queue of objects created under incoming/ only', () => {
    const { bucket, queue } = ids();
    const notifications = Object.values(element.template.findResources('Custom::S3BucketNotifications'));
    expect(notifications).toHaveLength(1);
    expect(notifications[0]?.Properties).toMatchObject({
      BucketName: { Ref: bucket },
      Managed: true,
      NotificationConfiguration: {
        QueueConfigurations: [
          {
            Events: ['s3:ObjectCreated:*'],
            Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: BULK_KEY_PREFIXES.incoming }] } },
            QueueArn: arnOf(queue),
          },
        ],
      },
    });
    expect(BULK_KEY_PREFIXES.incoming).toBe('incoming/');
    // S3 checks the destination while configuring it, so the queue policy must exist first.
    const queuePolicyId = Object.keys(element.template.findResources('AWS::SQS::QueuePolicy')).find((id) =>
      JSON.stringify(resource('AWS::SQS::QueuePolicy', id)?.Properties.Queues).includes(queue),
    );
    expect(notifications[0]?.DependsOn).toContain(queuePolicyId);
  });

  it("lets CDK's notification handler configure this bucket's notifications and nothing else", () => {
    const { bucket } = ids();
    const roleId = Object.keys(element.template.findResources('AWS::IAM::Role')).find((id) =>
      id.startsWith(`${BUCKET_NOTIFICATIONS_HANDLER_ID}Role`),
    );
    const statements = Object.values(element.template.findResources('AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
    expect(statements).toEqual([
      { Action: 's3:PutBucketNotification', Effect: 'Allow', Resource: arnOf(bucket) },
    ]);
  });
});

describe('bulk construct: queue, DLQ and their key', () => {
  it('encrypts both queues with the bulk queue key, not the stack key, and refuses requests without TLS', () => {
    const { queue, dlq, queueKey } = ids();
    for (const id of [queue, dlq]) {
      expect(resource('AWS::SQS::Queue', id)?.Properties.KmsMasterKeyId).toEqual(arnOf(queueKey));
      const policies = queuePolicyOf(id);
      expect(policies).toHaveLength(1);
      expect(policies[0]?.Properties.PolicyDocument.Statement[0]).toEqual(tlsOnlyQueueStatement(id));
    }
    expect(queuePolicyOf(dlq)[0]?.Properties.PolicyDocument.Statement).toHaveLength(1);
  });

  it('accepts S3 messages only from the staging bucket in this account', () => {
    const { queue, bucket } = ids();
    expect(queuePolicyOf(queue)[0]?.Properties.PolicyDocument.Statement).toEqual([
      tlsOnlyQueueStatement(queue),
      {
        Sid: 'UploadNotifications',
        Action: 'sqs:SendMessage',
        Effect: 'Allow',
        Principal: { Service: 's3.amazonaws.com' },
        Resource: arnOf(queue),
        Condition: {
          ArnEquals: { 'aws:SourceArn': arnOf(bucket) },
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        },
      },
    ]);
  });

  it('lets S3 use only the queue key (GenerateDataKey, Decrypt), never the key of the secrets and table', () => {
    const { queueKey, key } = ids();
    const queueKeyResource = resource('AWS::KMS::Key', queueKey);
    expect(queueKeyResource?.DeletionPolicy).toBe('Retain');
    expect(queueKeyResource?.Properties.EnableKeyRotation).toBe(true);
    expect(queueKeyResource?.Properties.KeyPolicy.Statement).toEqual([
      {
        Action: 'kms:*',
        Effect: 'Allow',
        Principal: {
          AWS: {
            'Fn::Join': [
              '',
              ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root'],
            ],
          },
        },
        Resource: '*',
      },
      {
        Sid: 'UploadNotifications',
        Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
        Effect: 'Allow',
        Principal: { Service: 's3.amazonaws.com' },
        Resource: '*',
      },
    ]);
    expect(JSON.stringify(resource('AWS::KMS::Key', key)?.Properties.KeyPolicy)).not.toContain(
      's3.amazonaws.com',
    );
  });

  it('redrives to the DLQ after the receive count the worker is told, and keeps parked messages 14 days', () => {
    const { queue, dlq, worker } = ids();
    const { Properties } = resource('AWS::SQS::Queue', queue) ?? {};
    expect(Properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: arnOf(dlq),
      maxReceiveCount: BULK_QUEUE_SETTINGS.maxReceiveCount,
    });
    // The worker reads the same number from its environment, so it ends the job in ERROR on the last receive.
    const fromEnv = bulkWorkerOptionsFromEnv(variablesOf(worker) as Record<string, string>);
    expect(fromEnv.maxReceiveCount).toBe(Properties.RedrivePolicy.maxReceiveCount);
    expect(fromEnv.chunkDeadlineMs).toBe(BULK_QUEUE_SETTINGS.chunkDeadlineMs);
    const parked = resource('AWS::SQS::Queue', dlq);
    expect(parked?.Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
    expect(parked?.Properties.RedrivePolicy).toBeUndefined();
    expect(parked?.DeletionPolicy).toBe('Retain');
  });

  it('hides a message just longer than the worker timeout, so a job that cannot finish is ERROR within the hour', () => {
    const { queue, worker } = ids();
    const timeout = resource('AWS::Lambda::Function', worker)?.Properties.Timeout;
    const visibility = resource('AWS::SQS::Queue', queue)?.Properties.VisibilityTimeout;
    expect(timeout).toBe(900);
    // Lambda refuses a mapping whose queue hides messages for less than the function may run.
    expect(visibility).toBeGreaterThanOrEqual(timeout);
    expect(visibility).toBeLessThanOrEqual(timeout + 120);
    // Worst case: the record was last touched just before an attempt that dies at its timeout; every
    // receive after that comes at most timeout + visibility later, and the first one past the stalled
    // threshold ends the job (endStalledJob).
    expect(DEFAULT_STALLED_JOB_MS / 1000 + timeout + visibility).toBeLessThanOrEqual(3600);
  });

  it('consumes its DLQ with the worker, which ends the job of each dead message in ERROR', () => {
    const { dlq, worker } = ids();
    const mappings = mappingsOf(dlq);
    expect(mappings.map((m) => m.Properties)).toEqual([
      {
        EventSourceArn: arnOf(dlq),
        FunctionName: { Ref: worker },
        BatchSize: 10,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      },
    ]);
    expect(variablesOf(worker).ELEMENT_BULK_DEAD_LETTER_QUEUE_ARN).toEqual(arnOf(dlq));
    // Lambda refuses the mapping when the queue hides a message for less than the function may run.
    expect(resource('AWS::SQS::Queue', dlq)?.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(
      resource('AWS::Lambda::Function', worker)?.Properties.Timeout,
    );
  });

  it('alarms as soon as one message is visible in the bulk DLQ', () => {
    const { dlq } = ids();
    expectDeadLetterAlarm(element.template, dlq);
  });

  it('outputs the bucket name and the DLQ URL', () => {
    const { bucket, dlq } = ids();
    expect(element.template.findOutputs('BulkBucketName').BulkBucketName?.Value).toEqual({ Ref: bucket });
    expect(element.template.findOutputs('BulkDeadLetterQueueUrl').BulkDeadLetterQueueUrl?.Value).toEqual({
      Ref: dlq,
    });
  });
});

describe('bulk construct: worker', () => {
  it('is built from BACKGROUND_FUNCTIONS.bulkWorker on nodejs24.x arm64', () => {
    expectFunctionOf(element.template, ids().worker, BACKGROUND_FUNCTIONS.bulkWorker);
  });

  it('takes one message per invocation with partial batch failures and bounded concurrency', () => {
    const { queue, worker } = ids();
    const mappings = mappingsOf(queue);
    expect(mappings.map((m) => m.Properties)).toEqual([
      {
        EventSourceArn: arnOf(queue),
        FunctionName: { Ref: worker },
        BatchSize: 1,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: BULK_QUEUE_SETTINGS.maxConcurrency },
      },
    ]);
    // Lambda checks the queue permissions when it creates the mapping.
    const policyId = Object.keys(element.template.findResources('AWS::IAM::Policy')).find((id) =>
      id.startsWith('BulkWorkerFunctionRoleDefaultPolicy'),
    );
    expect(mappings[0]?.DependsOn).toContain(policyId);
  });

  it('learns the bucket, the queue, the receive count and a chunk deadline well inside its timeout', () => {
    const { worker, bucket, queue, key, table } = {
      ...ids(),
      table: logicalId(element.stack, element.stack.foundation.state.table),
    };
    const variables = variablesOf(worker);
    expect(variables).toMatchObject({
      ELEMENT_MODE: 'aws',
      ELEMENT_BULK_BUCKET: { Ref: bucket },
      ELEMENT_BULK_QUEUE_URL: { Ref: queue },
      ELEMENT_BULK_MAX_RECEIVE_COUNT: String(BULK_QUEUE_SETTINGS.maxReceiveCount),
      ELEMENT_BULK_CHUNK_DEADLINE_MS: String(BULK_QUEUE_SETTINGS.chunkDeadlineMs),
      ELEMENT_STATE_TABLE: { Ref: table },
      ELEMENT_SECRET_PREFIX: 'snow-element/SnowElement/',
      ELEMENT_KMS_KEY_ID: arnOf(key),
    });
    // Room after the last page for writing the part, committing the cursor and queueing the next chunk.
    expect(Number(variables.ELEMENT_BULK_CHUNK_DEADLINE_MS)).toBeLessThanOrEqual(
      (BACKGROUND_FUNCTIONS.bulkWorker.timeoutSeconds - 240) * 1000,
    );
  });

  it('may use instance data, read/write/delete staging files, and send to and consume the bulk queue', () => {
    const { worker, workerLogGroup, bucket, queue, queueKey, dlq } = ids();
    expect(statementsOfRole(element.template, worker)).toEqual([
      ...instanceDataStatements(element.stack, workerLogGroup, SECRETS_GET_PUT),
      {
        Sid: 'BulkBucketObjects',
        Effect: 'Allow',
        Action: [
          's3:GetObject',
          's3:PutObject',
          's3:DeleteObject',
          's3:AbortMultipartUpload',
          's3:ListMultipartUploadParts',
        ],
        Resource: [objectsUnder(bucket, 'jobs/*'), objectsUnder(bucket, 'incoming/*')],
      },
      { Sid: 'BulkBucketList', Effect: 'Allow', Action: 's3:ListBucket', Resource: arnOf(bucket) },
      { Sid: 'BulkQueueSend', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: arnOf(queue) },
      consumeStatement('BulkQueueConsume', queue),
      {
        Sid: 'BulkQueueKey',
        Effect: 'Allow',
        Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
        Resource: arnOf(queueKey),
      },
      consumeStatement('BulkDeadLetterConsume', dlq),
    ]);
  });
});

describe('bulk construct: API function', () => {
  it('serves every bulk route, under both prefixes, behind the hub authorizer', () => {
    const bulkRoutes = ROUTES.filter((route) => route.functionName === 'bulk');
    expect(bulkRoutes.length).toBeGreaterThanOrEqual(18);
    expect(bulkRoutes.every((route) => route.auth === 'hub')).toBe(true);
    expectRoutesServedBy(element.template, bulkRoutes, ids().api, 'hub-authorizer');
  });

  it('learns the bucket and the queue, not the worker settings', () => {
    const { api, bucket, queue } = ids();
    const variables = variablesOf(api);
    expect(variables).toMatchObject({
      ELEMENT_BULK_BUCKET: { Ref: bucket },
      ELEMENT_BULK_QUEUE_URL: { Ref: queue },
      ELEMENT_SECRET_PREFIX: 'snow-element/SnowElement/',
    });
    expect(variables.ELEMENT_BULK_MAX_RECEIVE_COUNT).toBeUndefined();
    expect(variables.ELEMENT_BULK_CHUNK_DEADLINE_MS).toBeUndefined();
  });

  it('may use instance data, read/write (and presign) staging files, and only send to the bulk queue', () => {
    const { api, apiLogGroup, bucket, queue, queueKey } = ids();
    expect(statementsOfRole(element.template, api)).toEqual([
      ...instanceDataStatements(element.stack, apiLogGroup, SECRETS_GET_PUT),
      {
        Sid: 'BulkBucketObjects',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:PutObject'],
        Resource: [objectsUnder(bucket, 'jobs/*'), objectsUnder(bucket, 'incoming/*')],
      },
      { Sid: 'BulkBucketList', Effect: 'Allow', Action: 's3:ListBucket', Resource: arnOf(bucket) },
      // Cancelling an upload that never started removes its file; results under jobs/ stay untouchable.
      {
        Sid: 'BulkUploadFiles',
        Effect: 'Allow',
        Action: 's3:DeleteObject',
        Resource: objectsUnder(bucket, 'incoming/*'),
      },
      { Sid: 'BulkQueueSend', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: arnOf(queue) },
      {
        Sid: 'BulkQueueKey',
        Effect: 'Allow',
        Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
        Resource: arnOf(queueKey),
      },
    ]);
  });

  it('lets no other function touch the staging bucket, the bulk queue or its key', () => {
    const { api, worker, bucket, queue, queueKey } = ids();
    const users = Object.keys(element.template.findResources('AWS::Lambda::Function')).filter((id) => {
      const statements = JSON.stringify(statementsOfRole(element.template, id));
      return [bucket, queue, queueKey].some((target) => statements.includes(`"${target}"`));
    });
    // The CDK notification handler (PutBucketNotification only) is asserted above.
    expect(users.filter((id) => !id.startsWith(BUCKET_NOTIFICATIONS_HANDLER_ID)).sort()).toEqual(
      [api, worker].sort(),
    );
  });
});
