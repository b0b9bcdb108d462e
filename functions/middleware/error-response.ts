import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ElementError } from '../../shared/errors';
import { REQUEST_ID_HEADER } from './types';

/** The one place the wire error shape is produced, for middlewares and local mode alike. */
export const errorResponse = (requestId: string, error: ElementError): APIGatewayProxyStructuredResultV2 => ({
  statusCode: error.status,
  headers: {
    ...error.headers,
    'Content-Type': 'application/json',
    [REQUEST_ID_HEADER]: requestId,
  },
  body: JSON.stringify({
    requestId,
    message: error.message,
    ...(error.providerMessage === undefined ? {} : { providerMessage: error.providerMessage }),
  }),
});
