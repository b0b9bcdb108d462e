import { API_BASE_PATH } from '../../functions/routes';

/** The API Gateway (payload 2.0) event of `GET <base>/console/`, as the console function receives it. */
export const consoleIndexEvent = () => {
  const path = `${API_BASE_PATH}/console/`;
  return {
    version: '2.0',
    routeKey: `GET ${API_BASE_PATH}/console`,
    rawPath: path,
    rawQueryString: '',
    headers: {},
    requestContext: { http: { method: 'GET', path }, requestId: 'r1', domainName: 'example.com' },
    isBase64Encoded: false,
  };
};
