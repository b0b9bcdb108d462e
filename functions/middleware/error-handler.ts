import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { toElementError } from '../../shared/errors';
import type { Logger } from '../../shared/logging';
import { errorResponse } from './error-response';
import { requestIdOf } from './request-id';
import type { ApiEvent } from './types';

/**
 * Turns any thrown error into the CE error body (see error-response.ts) and logs it: server faults
 * with their cause at ERROR, caller mistakes at INFO without a stack. The logger redacts secrets.
 */
export const errorHandlerMiddleware = (
  logger?: Logger,
): MiddlewareObj<ApiEvent, APIGatewayProxyStructuredResultV2> => ({
  name: 'errorHandler',
  onError: (request) => {
    const error = toElementError(request.error);
    const requestId = requestIdOf(request.event);
    const facts = {
      requestId,
      status: error.status,
      method: request.event.requestContext?.http?.method,
      path: request.event.rawPath,
    };
    if (error.status >= 500) logger?.error(error.message, { ...facts, error: request.error });
    else logger?.info(error.message, facts);
    request.response = errorResponse(requestId, error);
  },
});
