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
  /** Hub calls read the credentials and persist refreshed OAuth tokens; they never create or delete. */
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

/** What Secrets Manager and DynamoDB need from the caller to use the customer-managed key. */
export const KEY_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'] as const;

export interface InstancesConstructProps {
  foundation: Foundation;
  /** The platform function (POST/GET/... /instances, /elements). */
  instancesFunction: ElementFunction;
  /** The hub function (/hubs/helpdesk/...). */
  hubFunction: ElementFunction;
}

/**
 * The "instances" capability: grants for the instances and hub functions, and nothing else.
 * - state table: the five item calls the adapter makes, on the table and its one index (exact ARNs);
 * - Secrets Manager: only secrets named `snow-element/<stack>/instances/*`, each function only the calls it makes;
 * - KMS: encrypt/decrypt with the stack's key (instance secrets and the table are encrypted with it).
 * The platform secrets are NOT readable here: only the authorizer checks them (constructs/authorizer.ts).
 */
export class InstancesConstruct extends Construct {
  /** `arn:<partition>:secretsmanager:<region>:<account>:secret:snow-element/<stack>/instances/*` */
  readonly instanceSecretsArn: string;

  constructor(scope: Construct, id: string, props: InstancesConstructProps) {
    super(scope, id);
    const { foundation } = props;
    const { table } = foundation.state;
    const { stackName } = Stack.of(this);
    const pattern = instanceSecretsPattern(stackName);
    this.instanceSecretsArn = Stack.of(this).formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: pattern,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });

    const grant = (fn: ElementFunction, secretActions: readonly string[]) => {
      fn.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'StateTableItems',
          actions: [...STATE_TABLE_ACTIONS],
          resources: [table.tableArn, `${table.tableArn}/index/${STATE_TABLE_SCHEMA.gsi1.indexName}`],
        }),
      );
      fn.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'InstanceSecrets',
          actions: [...secretActions],
          resources: [this.instanceSecretsArn],
        }),
      );
      fn.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'ElementKey',
          actions: [...KEY_ACTIONS],
          resources: [foundation.key.keyArn],
        }),
      );
      fn.function.addEnvironment('ELEMENT_SECRET_PREFIX', elementSecretPrefix(stackName));
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
    grant(props.instancesFunction, INSTANCE_SECRET_ACTIONS.instances);
    grant(props.hubFunction, INSTANCE_SECRET_ACTIONS.hub);
  }
}

/** How cdk-nag prints the pattern's ARN in an IAM5 finding (pseudo parameters as `<AWS::...>`). */
const secretsPatternAsNagSees = (pattern: string) =>
  `arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${pattern}`;
