import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { STATE_TABLE_SCHEMA } from '../../shared/ports/state-table';

/** The DynamoDB adapter (shared/adapters/aws/state-table.ts) and this table share one key schema. */
export { STATE_TABLE_SCHEMA };

export interface StateTableProps {
  encryptionKey: kms.IKey;
}

/**
 * The single-table store for element state (instances, checkpoints, bulk jobs...). On-demand billing
 * because traffic is bursty (pollers, bulk jobs) and idle most of the time; point-in-time recovery and
 * RETAIN because losing instance configuration or checkpoints would replay or drop events.
 */
export class StateTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: StateTableProps) {
    super(scope, id);
    const schema = STATE_TABLE_SCHEMA;
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: schema.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: schema.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.encryptionKey,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: schema.ttlAttribute,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: schema.gsi1.indexName,
      partitionKey: { name: schema.gsi1.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: schema.gsi1.sortKey, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
  }

  get environment(): Record<string, string> {
    return { ELEMENT_STATE_TABLE: this.table.tableName };
  }

  grantReadWriteData(grantee: iam.IGrantable): void {
    this.table.grantReadWriteData(grantee);
  }
}
