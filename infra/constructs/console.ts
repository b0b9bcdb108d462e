import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { CONSOLE_OAUTH_CALLBACK_PATH, CONSOLE_PATH } from '../../functions/routes';
import type { ElementFunction } from './element-function';
import { elementSecretPrefix, INSTANCE_SECRET_ACTIONS } from './instances';

/** The part of the secret namespace the console's OAuth connect flow owns (state key, pending bodies). */
export const consoleSecretsPattern = (stackName: string) => `${elementSecretPrefix(stackName)}console/*`;

/**
 * What the instances function does with console secrets (shared/instances/oauth-connect.ts through the
 * AWS secret store): the calls it makes on instance secrets, since the same adapter creates the
 * state-signing key once and one secret per started connection, reads them and deletes the pending ones.
 */
export const CONSOLE_SECRET_ACTIONS = INSTANCE_SECRET_ACTIONS.instances;

export interface ConsoleConstructProps {
  /** Serves the console's files (functions/console/handler.ts); its asset carries the build output. */
  consoleFunction: ElementFunction;
  /** Starts OAuth connections and serves their hosted callback (functions/instances/handler.ts). */
  instancesFunction: ElementFunction;
  /** `https://{api-id}.execute-api.{region}.amazonaws.com/elements/api-v2` */
  apiBaseUrl: string;
  /** The bulk bucket's origin (BulkConstruct.downloadOrigin): the console's CSP lets fetch reach it. */
  bulkDownloadOrigin: string;
}

/**
 * The web console. Its files are served by a small function whose asset carries them, under the API's
 * own base path: one origin with the API (no CORS, the API keeps no browser origin allowed), no public
 * bucket, and the same stage, throttling and access logs as every route. The console function has no
 * grant beyond its log group. The instances function gets the console's secrets for the OAuth connect
 * flow: the state-signing key and the pending instance bodies (client secrets) waiting for their callback.
 */
export class ConsoleConstruct extends Construct {
  /** `<api>/console/`: open it in a browser. */
  readonly consoleUrl: string;
  /** The redirect URI to register on a ServiceNow OAuth application for the console's connect flow. */
  readonly oauthCallbackUrl: string;

  constructor(scope: Construct, id: string, props: ConsoleConstructProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const pattern = consoleSecretsPattern(stack.stackName);
    const fn = props.instancesFunction;
    fn.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ConsoleSecrets',
        actions: [...CONSOLE_SECRET_ACTIONS],
        resources: [
          stack.formatArn({
            service: 'secretsmanager',
            resource: 'secret',
            resourceName: pattern,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    Validations.of(fn.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${pattern}]`,
      reason:
        'The OAuth connect flow creates one secret per started connection (its pending instance body, ' +
        'client secret included) under console/oauth-pending/<random>, so the names are unknown at deploy ' +
        `time. The wildcard is confined to the ${pattern} prefix in this account and region.`,
    });

    // Bulk files answer a 302 to a presigned URL on the bulk bucket, which the console's fetch follows.
    props.consoleFunction.function.addEnvironment('ELEMENT_CONSOLE_BULK_ORIGIN', props.bulkDownloadOrigin);

    this.consoleUrl = `${props.apiBaseUrl}${CONSOLE_PATH}/`;
    this.oauthCallbackUrl = `${props.apiBaseUrl}${CONSOLE_OAUTH_CALLBACK_PATH}`;
  }
}
