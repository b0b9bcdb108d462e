/**
 * The Lambda entry of the API Gateway REQUEST authorizer (AUTHORIZER_FUNCTION in functions/routes.ts);
 * the decision is authorize.ts's, shared with local mode.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { createLogger } from '../../shared/logging';
import { type AuthorizerHandler, type AuthorizerResult, createAuthorizerHandler } from './authorize';

const logger = createLogger();
let authorize: AuthorizerHandler | undefined;

const authorizeEvent = (event: APIGatewayRequestAuthorizerEventV2): Promise<AuthorizerResult> => {
  authorize ??= createAuthorizerHandler({ logger });
  return authorize(event);
};

export const handler = middy(authorizeEvent).use(injectLambdaContext(logger));
