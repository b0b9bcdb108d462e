import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import {
  type PlatformSecretsProvider,
  parseAuthorizationHeader,
  verifyPlatformCredentials,
} from '../../shared/auth';
import { unauthorized } from '../../shared/errors';
import type { ApiEvent } from './types';

/**
 * Platform APIs (instances, transformations, ...) need `Authorization: User <s>, Organization <s>`
 * (research section 2). Any failure is the same 401 with CE's wording, whatever was wrong.
 */
export const requirePlatformAuth = (
  secrets: PlatformSecretsProvider,
): MiddlewareObj<ApiEvent, APIGatewayProxyStructuredResultV2> => ({
  name: 'requirePlatformAuth',
  before: async (request) => {
    const credentials = parseAuthorizationHeader(request.event.headers?.authorization);
    if (!credentials) throw unauthorized();
    if (!verifyPlatformCredentials(credentials, await secrets())) throw unauthorized();
  },
});
