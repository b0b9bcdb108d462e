import { Duration } from 'aws-cdk-lib';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { AUTHORIZER_CACHE_SECONDS, AUTHORIZER_FUNCTION } from '../../functions/routes';
import type { RouteAuthorizers } from './api';
import { ElementFunction, type ElementLogLevel } from './element-function';
import type { Foundation } from './foundation';

export interface ElementAuthorizerProps {
  foundation: Foundation;
  serviceName: string;
  logLevel: ElementLogLevel;
  logRetention: logs.RetentionDays;
  /** How long API Gateway reuses a decision per Authorization header; default AUTHORIZER_CACHE_SECONDS. */
  cacheSeconds?: number;
}

/** The only identity source: the header CE clients send. */
export const AUTHORIZER_IDENTITY_SOURCE = '$request.header.Authorization';

/**
 * The Lambda REQUEST authorizer (functions/authorizer/handler.ts) in front of every 'platform' and 'hub'
 * route: simple responses, cached per Authorization header for AUTHORIZER_CACHE_SECONDS.
 *
 * One function, two API Gateway authorizers (platform, hub). Why two: the gateway caches a decision per
 * authorizer and identity source only, not per route. With one shared authorizer, the header
 * `User .., Organization .., Element ..` (valid for both kinds) would be answered on a hub route from
 * a platform decision cached a second earlier, and the function would refuse it. Separate authorizers
 * keep separate caches while the identity source stays exactly the Authorization header.
 *
 * Grants, least privilege: read the two platform secrets (the authorizer is the only function that
 * does), GetItem on the state table (token index items) and kms:Decrypt for the table's key.
 */
export class ElementAuthorizer extends Construct {
  readonly function: ElementFunction;
  readonly authorizers: Required<RouteAuthorizers>;

  constructor(scope: Construct, id: string, props: ElementAuthorizerProps) {
    super(scope, id);
    const { foundation } = props;
    this.function = new ElementFunction(this, 'Function', {
      definition: AUTHORIZER_FUNCTION,
      serviceName: props.serviceName,
      environment: foundation.functionEnvironment,
      logLevel: props.logLevel,
      logRetention: props.logRetention,
    });
    foundation.secrets.grantRead(this.function.role);
    this.function.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadElementTokenIndex',
        actions: ['dynamodb:GetItem'],
        resources: [foundation.state.table.tableArn],
      }),
    );
    foundation.key.grantDecrypt(this.function.role);

    const resultsCacheTtl = Duration.seconds(props.cacheSeconds ?? AUTHORIZER_CACHE_SECONDS);
    const authorizer = (kind: 'platform' | 'hub') =>
      new HttpLambdaAuthorizer(`${kind}-authorizer`, this.function.function, {
        authorizerName: `${kind}-authorizer`,
        identitySource: [AUTHORIZER_IDENTITY_SOURCE],
        responseTypes: [HttpLambdaResponseType.SIMPLE],
        resultsCacheTtl,
      });
    this.authorizers = { platform: authorizer('platform'), hub: authorizer('hub') };
  }
}
