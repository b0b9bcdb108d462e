import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { STATE_TABLE_SCHEMA } from '../../shared/ports/state-table';
import type { ElementFunction } from './element-function';
import type { Foundation } from './foundation';

/**
 * Prefix of every secret the functions create (ELEMENT_SECRET_PREFIX; the AWS secret store prepends it
 * to names like `instances/<id>/credentials`, shared/adapters/aws/secret-store.ts). It carries the stack
 * name so two stacks in one account and region can never read each other's instance secrets.
 */
export const elementSecretPrefix = (stackName: string) => `snow-element/${stackName}/`;
/** The part of the secret namespace the instances capability owns. */
export const instanceSecretsPattern = (stackName: string) => `${elementSecretPrefix(stackName)}instances/*`;

/** What each function does with instance secrets (shared/adapters/aws/secret-store.ts makes these calls). */
export const INSTANCE_SECRET_ACTIONS = {
  /** Provisioning, credential rotation, deletion: put() creates (with tags) or overwrites, delete() removes. */
  instances: [
    'secretsmanager:CreateSecret',
    'secretsmanager:TagResource',
    'secretsmanager:PutSecretValue',
    'secretsmanager:GetSecretValue',
    'secretsmanager:DeleteSecret',
    'secretsmanager:RestoreSecret',
  ],
  /** Hub calls read the credentials and persist refreshed OAuth tokens; they never create or delete (constructs/hub.ts). */
  hub: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'],
} as const;

/** The state table calls of shared/adapters/aws/state-table.ts, nothing more (no Scan, no batch, no DescribeTable). */
export const STATE_TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:Query',
] as const;

/**
 * What Secrets Manager, DynamoDB and S3 (SSE-KMS bulk bucket, also for presigned URLs the function signs)
 * need from the caller to use the customer-managed key.
 */
export const KEY_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'] as const;

export interface InstancesConstructProps {
  foundation: Foundation;
  /** The platform function (POST/GET/... /instances, /elements). */
  instancesFunction: ElementFunction;
}

/**
 * Gives one function the instance data a capability needs, and nothing else:
 * - state table: the five item calls the adapter makes, on the table and its one index (exact ARNs);
 * - Secrets Manager: only secrets named `snow-element/<stack>/instances/*`, and only `secretActions`;
 * - KMS: encrypt/decrypt with the stack's key (instance secrets and the table are encrypted with it);
 * - ELEMENT_SECRET_PREFIX / ELEMENT_KMS_KEY_ID so the secret store names and encrypts secrets the same way.
 * The platform secrets are NOT readable here: only the authorizer checks them (constructs/authorizer.ts).
 * Used by the instances, hub, events and bulk constructs, each for its own functions.
 */
export const grantInstanceData = (
  fn: ElementFunction,
  foundation: Foundation,
  secretActions: readonly string[],
): void => {
  const stack = Stack.of(fn);
  const pattern = instanceSecretsPattern(stack.stackName);
  addStateTableStatement(fn, foundation);
  fn.role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'InstanceSecrets',
      actions: [...secretActions],
      resources: [instanceSecretsArn(stack)],
    }),
  );
  addKeyStatement(fn, foundation);
  fn.function.addEnvironment('ELEMENT_SECRET_PREFIX', elementSecretPrefix(stack.stackName));
  fn.function.addEnvironment('ELEMENT_KMS_KEY_ID', foundation.key.keyArn);
  // The role's default policy holds the wildcard; acknowledge exactly that resource string.
  Validations.of(fn.role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::${secretsPatternAsNagSees(pattern)}]`,
    reason:
      'Instance secrets are created at run time, one per instance (instances/<id>/credentials), so their ' +
      `names are unknown at deploy time. The wildcard is confined to the ${pattern} name ` +
      'prefix in this account and region, and each function gets only the Secrets Manager calls it makes.',
  });
};

/**
 * The state table items and the stack key, WITHOUT any secret: for functions that keep their data in the
 * table only (transformations, constructs/transformations.ts). Same statements as grantInstanceData minus
 * InstanceSecrets; no ELEMENT_SECRET_PREFIX either, as such a function builds no secret store
 * (its entry point lists only the state table among its ports, functions/runtime/aws-ports.ts).
 */
export const grantStateTableData = (fn: ElementFunction, foundation: Foundation): void => {
  addStateTableStatement(fn, foundation);
  addKeyStatement(fn, foundation);
};

/** The five item calls of the state-table adapter, on the table and its one index (exact ARNs). */
const addStateTableStatement = (fn: ElementFunction, foundation: Foundation): void => {
  const { table } = foundation.state;
  fn.role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'StateTableItems',
      actions: [...STATE_TABLE_ACTIONS],
      resources: [table.tableArn, `${table.tableArn}/index/${STATE_TABLE_SCHEMA.gsi1.indexName}`],
    }),
  );
};

/** Encrypt/decrypt with the stack key (the table, the instance secrets and the bulk bucket use it). */
const addKeyStatement = (fn: ElementFunction, foundation: Foundation): void => {
  fn.role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'ElementKey',
      actions: [...KEY_ACTIONS],
      resources: [foundation.key.keyArn],
    }),
  );
};

/** `arn:<partition>:secretsmanager:<region>:<account>:secret:snow-element/<stack>/instances/*` */
export const instanceSecretsArn = (stack: Stack): string =>
  stack.formatArn({
    service: 'secretsmanager',
    resource: 'secret',
    resourceName: instanceSecretsPattern(stack.stackName),
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });

/**
 * The "instances" capability: the platform function that provisions, updates and deletes instances
 * (and serves the OpenAPI documents) gets the instance data with every secret call provisioning makes.
 * The hub function's grants live in the hub construct (constructs/hub.ts).
 */
export class InstancesConstruct extends Construct {
  /** `arn:<partition>:secretsmanager:<region>:<account>:secret:snow-element/<stack>/instances/*` */
  readonly instanceSecretsArn: string;

  constructor(scope: Construct, id: string, props: InstancesConstructProps) {
    super(scope, id);
    this.instanceSecretsArn = instanceSecretsArn(Stack.of(this));
    grantInstanceData(props.instancesFunction, props.foundation, INSTANCE_SECRET_ACTIONS.instances);
  }
}

/** How cdk-nag prints the pattern's ARN in an IAM5 finding (pseudo parameters as `<AWS::...>`). */
const secretsPatternAsNagSees = (pattern: string) =>
  `arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${pattern}`;
