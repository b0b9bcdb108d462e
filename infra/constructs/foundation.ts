import { RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { PlatformSecrets } from './secrets';
import { StateTable } from './state';

export interface FoundationProps {
  /** `ELEMENT_ALLOWED_HOSTS` of the deployed functions; empty = only public ServiceNow hosts. */
  allowedHosts: string;
}

/**
 * What every capability shares: the customer-managed key, the platform secrets and the state table,
 * plus the environment variables that let a function find them. Capabilities get grants from here
 * (`secrets.grantRead`, `state.grantReadWriteData`) for exactly the functions that need them.
 */
export class Foundation extends Construct {
  readonly key: kms.Key;
  readonly secrets: PlatformSecrets;
  readonly state: StateTable;
  readonly allowedHosts: string;

  constructor(scope: Construct, id: string, props: FoundationProps) {
    super(scope, id);
    this.allowedHosts = props.allowedHosts;
    this.key = new kms.Key(this, 'Key', {
      description: 'snow-element: encrypts the platform secrets, the state table and the events queues',
      enableKeyRotation: true,
      // Deleting the key would make the retained table and secrets unreadable.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.secrets = new PlatformSecrets(this, 'Secrets', { encryptionKey: this.key });
    this.state = new StateTable(this, 'State', { encryptionKey: this.key });
  }

  /** Variables every function of the element receives. */
  get functionEnvironment(): Record<string, string> {
    return {
      ELEMENT_MODE: 'aws',
      ELEMENT_ALLOWED_HOSTS: this.allowedHosts,
      ...this.state.environment,
      ...this.secrets.environment,
    };
  }
}
