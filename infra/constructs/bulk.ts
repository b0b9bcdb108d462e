import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { CORS_MAX_AGE_SECONDS, type CorsOrigins } from '../../functions/cors';
import { BACKGROUND_FUNCTIONS } from '../../functions/routes';
import { ElementFunction, type ElementFunctionDefaults, functionDefaults } from './element-function';
import type { Foundation } from './foundation';
import { grantInstanceData } from './instances';
import { allowConsume, allowSend, consumeQueues, workQueue } from './queue-actions';

/**
 * The delivery settings of the bulk job queue, shared by the queue, the event source and the worker's
 * environment so they can never disagree.
 */
export const BULK_QUEUE_SETTINGS = {
  /**
   * Receives before a message goes to the DLQ. The worker gets the same number
   * (ELEMENT_BULK_MAX_RECEIVE_COUNT) so on the last attempt it marks the job ERROR instead of leaving it
   * RUNNING. A redelivered chunk resumes from the job's last committed cursor (shared/bulk/jobs), so five
   * receives ride out a few crashes or ServiceNow outages without retrying a broken job for hours.
   */
  maxReceiveCount: 5,
  /** One message per invocation: a message is one download chunk or one whole upload. */
  batchSize: 1,
  /**
   * Worker invocations at once, across all jobs: every one of them talks to a ServiceNow instance, whose
   * rate limits and semaphores are shared with its other users.
   */
  maxConcurrency: 5,
  /**
   * Added to the worker's timeout for the queue's visibility timeout (Lambda requires at least the
   * timeout). Not Lambda's 6x guidance: a worker that died or timed out has its message back within
   * minutes, so a crashed job resumes (or ends) soon and one that cannot finish is ERROR within the hour
   * (shared/bulk/jobs endStalledJob); the mapping's maxConcurrency keeps invocations from throttling.
   */
  visibilityMarginSeconds: 60,
  /** What the queue keeps; far longer than the retries of one message take. */
  retention: Duration.days(4),
  /** What the DLQ keeps for inspection or redrive (the SQS maximum). */
  dlqRetention: Duration.days(14),
  /**
   * ELEMENT_BULK_CHUNK_DEADLINE_MS: a download chunk stops reading pages (an upload segment stops taking
   * rows) after this long and commits, well inside the worker's 900 s timeout (uploading the last part or
   * finishing the rows in flight, and queueing the next message, still follow).
   */
  chunkDeadlineMs: 600_000,
} as const;

/** Key prefixes of the staging bucket (shared/bulk: `jobs/<id>/...`; presigned uploads land in `incoming/`). */
export const BULK_KEY_PREFIXES = {
  /** Download parts and results, error reports, uploaded files taken through the API. */
  jobs: 'jobs/',
  /** Presigned PUT uploads (POST /bulk/{objectName}/uploads); an object created here starts its job. */
  incoming: 'incoming/',
} as const;

/** Lifecycle of the staging bucket and its access-log bucket. */
export const BULK_BUCKET_SETTINGS = {
  /** Bulk files are staging copies of ServiceNow data: gone after 3 days. */
  expiration: Duration.days(3),
  /** Multipart uploads a crashed worker never completed or aborted stop costing storage after a day. */
  abortIncompleteMultipartUploadAfter: Duration.days(1),
  /** Server access logs (who used a presigned URL, from where). */
  accessLogExpiration: Duration.days(90),
} as const;

/**
 * S3 calls of the bulk functions (shared/adapters/aws/blob-store.ts), on `jobs/*` and `incoming/*` only.
 * - GetObject also authorizes HeadObject and the presigned GET URLs the API hands out; PutObject also
 *   authorizes the presigned PUT URLs and Create/UploadPart/CompleteMultipartUpload (lib-storage's, and
 *   the one upload a download job spans, one part per chunk).
 * - ListMultipartUploadParts (worker): a download completes from ListParts, which knows the latest ETag
 *   of each part when two deliveries of one chunk raced (shared/bulk/download/result-file.ts).
 * - ListBucket (on the bucket): the worker lists `jobs/<id>/carry/` to clean up; both need it because
 *   without it S3 answers a missing key with 403 instead of 404, and the adapter's get/head could no longer
 *   tell "not there (yet)" from a failure.
 * - The API deletes only upload files (`incoming/`); the worker also cleans up download leftovers (`jobs/`).
 * - The API never sends a multipart upload (a Lambda request body is < 6 MB, lib-storage's first part is
 *   5 MiB and a body that fits in one part goes up as one PutObject), so only the worker may
 *   AbortMultipartUpload (a cancelled or failed download) and ListMultipartUploadParts.
 */
export const BULK_BUCKET_ACTIONS = {
  api: {
    objects: ['s3:GetObject', 's3:PutObject'],
    bucket: ['s3:ListBucket'],
    /** On `incoming/*` only: the file of an upload that is cancelled before it started, or whose job failed to start. */
    uploads: ['s3:DeleteObject'],
  },
  worker: {
    objects: [
      's3:GetObject',
      's3:PutObject',
      's3:DeleteObject',
      's3:AbortMultipartUpload',
      's3:ListMultipartUploadParts',
    ],
    bucket: ['s3:ListBucket'],
  },
} as const;

/** Both read ServiceNow credentials and write refreshed OAuth tokens back; never create or delete. */
export const BULK_SECRET_ACTIONS = {
  /** Calls ServiceNow to check the object and the query before it creates a job. */
  api: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'],
  /** Reads and writes ServiceNow rows, signs the completion callback. */
  worker: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'],
} as const;

/**
 * The queue key: a sender of an SSE-KMS queue needs GenerateDataKey and Decrypt (SQS reuses data keys),
 * a receiver Decrypt. Both bulk functions send; Encrypt and DescribeKey are never needed.
 */
export const BULK_QUEUE_KEY_ACTIONS = ['kms:GenerateDataKey', 'kms:Decrypt'] as const;

/** What S3 needs on the queue key to deliver the `incoming/` notifications (AWS S3 user guide). */
export const S3_NOTIFICATION_KEY_ACTIONS = ['kms:GenerateDataKey', 'kms:Decrypt'] as const;

/** What a browser reads of a bulk file besides the CORS-safelisted headers. */
export const BULK_CORS_EXPOSED_HEADERS = ['Content-Disposition', 'Content-Length', 'ETag'] as const;

/**
 * The staging bucket's CORS rules. A browser app following the API's 302 fetches the file from S3 (and
 * PUTs presigned uploads): the API's CORS origins may do both. The console only downloads (its uploads go
 * through the API), so its origin gets GET and HEAD; its fetch sends no header S3 must allow.
 */
export const bulkCorsRules = (
  corsOrigins: CorsOrigins | undefined,
  consoleOrigin?: string,
): s3.CorsRule[] => [
  ...(corsOrigins === undefined || corsOrigins.kind === 'none'
    ? []
    : [
        {
          allowedOrigins: corsOrigins.kind === 'any' ? ['*'] : [...corsOrigins.origins],
          allowedMethods: [s3.HttpMethods.GET, s3.HttpMethods.HEAD, s3.HttpMethods.PUT],
          allowedHeaders: ['Content-Type'],
          exposedHeaders: [...BULK_CORS_EXPOSED_HEADERS],
          maxAge: CORS_MAX_AGE_SECONDS,
        },
      ]),
  ...(consoleOrigin === undefined
    ? []
    : [
        {
          allowedOrigins: [consoleOrigin],
          allowedMethods: [s3.HttpMethods.GET, s3.HttpMethods.HEAD],
          exposedHeaders: [...BULK_CORS_EXPOSED_HEADERS],
          maxAge: CORS_MAX_AGE_SECONDS,
        },
      ]),
];

export interface BulkConstructProps extends ElementFunctionDefaults {
  foundation: Foundation;
  /** The bulk API function (functions/bulk/handler.ts, every /bulk route). */
  bulkFunction: ElementFunction;
  /** Browser origins that may fetch files from presigned URLs (the API's CORS origins); default none. */
  corsOrigins?: CorsOrigins;
  /**
   * The web console's origin (the API's own, `https://{api-id}.execute-api.{region}.amazonaws.com`): the
   * console downloads bulk files with fetch, which follows the file route's 302 to the presigned URL.
   */
  consoleOrigin?: string;
}

/**
 * The "bulk" capability: staging bucket, job queue + DLQ, the queue worker, and the grants of the bulk API
 * function.
 *
 * Flow: the API creates a job and queues its first message (download chunk or upload) -> the worker runs
 * one message per invocation and queues the next chunk -> files land in `jobs/<id>/`; the API answers
 * downloads with a presigned GET. Uploads land in `incoming/<instanceId>/<jobId>`: for a large file
 * POST /bulk/{objectName}/uploads returns a presigned PUT, and when the object is created S3 notifies the
 * same queue (an S3 event record, not a BulkMessage; S3 also sends one `s3:TestEvent` when the notification
 * is configured) and the worker starts the job. A multipart upload through the API is queued by the API;
 * its notification is a duplicate the worker drops (an upload job is claimed once, shared/bulk/jobs).
 *
 * Choices:
 * - Bucket: SSE-KMS with the stack key (bucket key on, so S3 calls KMS per bucket key, not per object),
 *   TLS only, all public access blocked, ACLs disabled, no versioning (staging copies), objects expire after
 *   3 days and incomplete multipart uploads after 1 day, RETAIN like the table (a stack delete must not
 *   fail on a non-empty bucket; the lifecycle empties it anyway). Presigned URLs are signed by the API
 *   function's role, so it holds PutObject/GetObject and the key; they live at most as long as the
 *   function's session credentials.
 * - Server access logs go to a bucket of their own (SSE-S3: log delivery cannot write SSE-KMS, and it must
 *   not log into itself), delivered by bucket policy rather than ACLs. They are the only record of who used
 *   a presigned URL and from where (CloudTrail data events would cost per request).
 * - Queue and DLQ use a key of their OWN, not the stack key: S3 can only notify an SSE-KMS queue if the key
 *   policy lets the S3 service principal GenerateDataKey/Decrypt (AWS documents that statement without a
 *   source condition); on a dedicated key it reaches bulk queue messages and nothing else (not the secrets
 *   or the table).
 *   The queue policy only accepts S3 messages from this bucket and account.
 * - Least privilege: every statement names its bucket prefix, queue, key, table or secret prefix.
 */
export class BulkConstruct extends Construct {
  readonly bucket: s3.Bucket;
  /**
   * Where presigned URLs point: `https://<bucket>.s3.<region>.<url suffix>`, the regional virtual-hosted
   * form the S3 presigner produces for this bucket (its generated name has no dots).
   */
  readonly downloadOrigin: string;
  readonly accessLogBucket: s3.Bucket;
  readonly queueKey: kms.Key;
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly worker: ElementFunction;
  readonly deadLetterAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: BulkConstructProps) {
    super(scope, id);
    // Log delivery by bucket policy (with source bucket/account conditions) instead of the legacy
    // LogDeliveryWrite ACL; scoped to this construct so the rest of the stack is unaffected.
    this.node.setContext(cxapi.S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);
    const { foundation } = props;
    const settings = BULK_QUEUE_SETTINGS;

    this.accessLogBucket = new s3.Bucket(this, 'AccessLogBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: false,
      lifecycleRules: [{ id: 'ExpireAccessLogs', expiration: BULK_BUCKET_SETTINGS.accessLogExpiration }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.accessLogBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This bucket IS the server access log destination of the bulk staging bucket; logging it to itself ' +
        'would log every log delivery, and a third bucket would only move the same finding there.',
    });

    const corsRules = bulkCorsRules(props.corsOrigins, props.consoleOrigin);
    this.bucket = new s3.Bucket(this, 'StagingBucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: foundation.key,
      bucketKeyEnabled: true,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: false,
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: 'staging/',
      lifecycleRules: [
        {
          id: 'ExpireBulkFiles',
          expiration: BULK_BUCKET_SETTINGS.expiration,
          abortIncompleteMultipartUploadAfter: BULK_BUCKET_SETTINGS.abortIncompleteMultipartUploadAfter,
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
      ...(corsRules.length === 0 ? {} : { cors: corsRules }),
    });

    const stack = Stack.of(this);
    this.downloadOrigin = `https://${this.bucket.bucketName}.s3.${stack.region}.${stack.urlSuffix}`;

    this.queueKey = new kms.Key(this, 'QueueKey', {
      description: 'snow-element: encrypts the bulk job queue and its DLQ (S3 may use it to notify uploads)',
      enableKeyRotation: true,
      // Parked messages in the retained DLQ stay readable.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // The worker consumes the DLQ too (it ends the jobs of dead messages).
    ({
      queue: this.queue,
      deadLetterQueue: this.deadLetterQueue,
      alarm: this.deadLetterAlarm,
    } = workQueue(this, {
      key: this.queueKey,
      settings,
      visibilityTimeout: Duration.seconds(
        BACKGROUND_FUNCTIONS.bulkWorker.timeoutSeconds + settings.visibilityMarginSeconds,
      ),
      deadLettersConsumed: true,
      alarmDescription:
        'snow-element: bulk job messages failed every retry and are parked in the bulk DLQ (see the worker log)',
    }));
    this.bucket.addEventNotification(
      s3.EventType.OBJECT_CREATED,
      new UploadNotificationDestination(this.bucket, this.queue, this.queueKey),
      { prefix: BULK_KEY_PREFIXES.incoming },
    );
    acknowledgeNotificationsHandler(this);

    this.worker = new ElementFunction(this, 'WorkerFunction', {
      ...functionDefaults(props),
      definition: BACKGROUND_FUNCTIONS.bulkWorker,
    });

    // API: job records, instance credentials, staging files (presigned URLs included), queue the first message.
    grantInstanceData(props.bulkFunction, foundation, BULK_SECRET_ACTIONS.api);
    this.grantBucket(props.bulkFunction, BULK_BUCKET_ACTIONS.api);
    this.grantQueue(props.bulkFunction, false);

    // Worker: the same, plus deleting parts and aborting multipart uploads, and consuming the queue.
    grantInstanceData(this.worker, foundation, BULK_SECRET_ACTIONS.worker);
    this.grantBucket(this.worker, BULK_BUCKET_ACTIONS.worker);
    this.grantQueue(this.worker, true);
    allowConsume(this.worker, 'BulkDeadLetterConsume', this.deadLetterQueue);
    consumeQueues(this.worker, [
      {
        id: 'BulkQueueSource',
        queue: this.queue,
        batchSize: settings.batchSize,
        maxConcurrency: settings.maxConcurrency,
      },
      // Dead letters end their jobs in ERROR (the worker tells them apart by the source ARN).
      { id: 'BulkDeadLetterSource', queue: this.deadLetterQueue, batchSize: 10 },
    ]);
    this.worker.function.addEnvironment('ELEMENT_BULK_DEAD_LETTER_QUEUE_ARN', this.deadLetterQueue.queueArn);
    this.worker.function.addEnvironment('ELEMENT_BULK_MAX_RECEIVE_COUNT', String(settings.maxReceiveCount));
    this.worker.function.addEnvironment('ELEMENT_BULK_CHUNK_DEADLINE_MS', String(settings.chunkDeadlineMs));
  }

  /** Object calls on `jobs/*` and `incoming/*`, bucket calls on the bucket, and ELEMENT_BULK_BUCKET. */
  private grantBucket(
    fn: ElementFunction,
    actions: { objects: readonly string[]; bucket: readonly string[]; uploads?: readonly string[] },
  ): void {
    const objectArns = Object.values(BULK_KEY_PREFIXES).map((prefix) =>
      this.bucket.arnForObjects(`${prefix}*`),
    );
    fn.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'BulkBucketObjects',
        actions: [...actions.objects],
        resources: objectArns,
      }),
    );
    fn.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'BulkBucketList',
        actions: [...actions.bucket],
        resources: [this.bucket.bucketArn],
      }),
    );
    if (actions.uploads) {
      fn.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'BulkUploadFiles',
          actions: [...actions.uploads],
          resources: [this.bucket.arnForObjects(`${BULK_KEY_PREFIXES.incoming}*`)],
        }),
      );
    }
    fn.function.addEnvironment('ELEMENT_BULK_BUCKET', this.bucket.bucketName);
    const bucketId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket);
    for (const prefix of Object.values(BULK_KEY_PREFIXES)) {
      Validations.of(fn.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${prefix}*]`,
        reason:
          `Bulk files are created at run time under ${prefix}<job or upload id>/..., so their keys are unknown ` +
          'at deploy time. The wildcard is confined to that prefix of the one staging bucket, and each ' +
          'function gets only the S3 calls it makes.',
      });
    }
  }

  /** Send (and for the worker consume) on the bulk queue, its key, and ELEMENT_BULK_QUEUE_URL. */
  private grantQueue(fn: ElementFunction, consume: boolean): void {
    allowSend(fn, 'BulkQueueSend', this.queue);
    if (consume) allowConsume(fn, 'BulkQueueConsume', this.queue);
    fn.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'BulkQueueKey',
        actions: [...BULK_QUEUE_KEY_ACTIONS],
        resources: [this.queueKey.keyArn],
      }),
    );
    fn.function.addEnvironment('ELEMENT_BULK_QUEUE_URL', this.queue.queueUrl);
  }
}

/** Construct id of the CDK's stack-wide handler of Custom::S3BucketNotifications (aws-s3 notifications-resource). */
export const BUCKET_NOTIFICATIONS_HANDLER_ID = 'BucketNotificationsHandler050a0587b7544547bf325f094a3db834';

/**
 * Bucket notifications are not a CloudFormation property CDK can set safely (S3 validates the queue when
 * they are configured, which needs the queue policy first), so CDK configures them through a custom
 * resource whose handler role carries the AWSLambdaBasicExecutionRole managed policy (hard-coded in
 * aws-cdk-lib). Its only other grant is s3:PutBucketNotification on this bucket.
 */
const acknowledgeNotificationsHandler = (scope: Construct): void => {
  const handler = Stack.of(scope).node.tryFindChild(BUCKET_NOTIFICATIONS_HANDLER_ID);
  const role = handler?.node.tryFindChild('Role');
  if (!role) throw new Error('aws-cdk-lib no longer creates the bucket notifications handler role here');
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason:
      "aws-cdk-lib's own deploy-time handler for the staging bucket's notification configuration; CDK " +
      'attaches this managed policy itself. It only lets the handler write its logs (CreateLogGroup, ' +
      'CreateLogStream, PutLogEvents); the handler runs during deployments only.',
  });
};

/**
 * Like aws-s3-notifications' SqsDestination, but tighter: the queue policy accepts S3 messages only from
 * this bucket AND this account (SqsDestination checks the bucket ARN only, which names no account), and the
 * key policy gets exactly the two KMS calls S3 makes instead of SqsDestination's extra grantEncryptDecrypt
 * (Encrypt, ReEncrypt*, GenerateDataKey*).
 */
class UploadNotificationDestination implements s3.IBucketNotificationDestination {
  constructor(
    private readonly bucket: s3.Bucket,
    private readonly queue: sqs.Queue,
    private readonly key: kms.Key,
  ) {}

  bind(): s3.BucketNotificationDestinationConfig {
    const s3Principal = new iam.ServicePrincipal('s3.amazonaws.com');
    this.queue.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'UploadNotifications',
        principals: [s3Principal],
        actions: ['sqs:SendMessage'],
        resources: [this.queue.queueArn],
        conditions: {
          ArnEquals: { 'aws:SourceArn': this.bucket.bucketArn },
          StringEquals: { 'aws:SourceAccount': Stack.of(this.bucket).account },
        },
      }),
    );
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'UploadNotifications',
        principals: [s3Principal],
        actions: [...S3_NOTIFICATION_KEY_ACTIONS],
        resources: ['*'],
      }),
    );
    // The queue construct holds its policy: S3 checks the destination when the notification is configured.
    return {
      arn: this.queue.queueArn,
      type: s3.BucketNotificationDestinationType.QUEUE,
      dependencies: [this.queue],
    };
  }
}
