import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  CORS_ALLOWED_HEADERS,
  CORS_ALLOWED_METHODS,
  CORS_EXPOSED_HEADERS,
  CORS_MAX_AGE_SECONDS,
  type CorsOrigins,
} from '../../functions/cors';
import {
  API_BASE_PATH,
  type FunctionName,
  LAMBDA_FUNCTIONS,
  ROUTES,
  type RouteAuth,
  type RouteDefinition,
} from '../../functions/routes';
import { ElementFunction, type ElementFunctionDefaults, functionDefaults } from './element-function';

/** The authorizers a route's `auth` needs; `none` routes are public by design. */
export type RouteAuthorizers = Partial<Record<Exclude<RouteAuth, 'none'>, apigw.IHttpRouteAuthorizer>>;

export interface ApiConstructProps extends ElementFunctionDefaults {
  /**
   * The Lambda REQUEST authorizers (User/Organization/Element header,
   * identity-source caching) for `platform` and `hub` routes. A route whose authorizer is missing fails
   * synthesis, so a protected route can never be deployed open by accident.
   */
  authorizers?: RouteAuthorizers;
  /** Stage-wide throttling (API Gateway token bucket); defaults to DEFAULT_THROTTLE. */
  throttle?: apigw.ThrottleSettings;
  /** Route table; defaults to ROUTES from functions/routes.ts (tests pass their own). */
  routes?: readonly RouteDefinition[];
  /** Browser origins allowed to call the API (ELEMENT_CORS_ORIGINS); default none. */
  corsOrigins?: CorsOrigins;
}

/**
 * The HTTP API's CORS configuration for `origins` (functions/cors.ts): API Gateway then answers every
 * preflight itself, before any authorizer, and adds the headers to every response. None by default.
 */
export const corsPreflightOf = (origins: CorsOrigins | undefined): apigw.CorsPreflightOptions | undefined =>
  origins === undefined || origins.kind === 'none'
    ? undefined
    : {
        allowOrigins: origins.kind === 'any' ? ['*'] : [...origins.origins],
        allowMethods: CORS_ALLOWED_METHODS.map((method) => apigw.CorsHttpMethod[method]),
        allowHeaders: [...CORS_ALLOWED_HEADERS],
        exposeHeaders: [...CORS_EXPOSED_HEADERS],
        maxAge: Duration.seconds(CORS_MAX_AGE_SECONDS),
      };

/** Requests per second / burst of the stage; well under the account default of 10,000 / 5,000. */
export const DEFAULT_THROTTLE: apigw.ThrottleSettings = { rateLimit: 100, burstLimit: 200 };

/**
 * Why each route with auth 'none' may be called without credentials; the text becomes the reason of its
 * cdk-nag AwsSolutions-APIG4 acknowledgement. A public route missing here fails synthesis, so opening
 * a route is always a reviewed, written-down decision. Keys are `METHOD /path` as in functions/routes.ts.
 */
export const PUBLIC_ROUTE_JUSTIFICATIONS: Readonly<Record<string, string>> = {
  'GET /ping':
    'liveness probe for load balancers and uptime checks; returns status and version only, reads no state and calls nothing downstream.',
  'GET /console':
    'the web console page: static files of the browser app, no data; the app sends the secrets the user types to the protected routes.',
  'HEAD /console': 'HEAD of the web console page (static files, no data).',
  'GET /console/{proxy+}': 'the web console assets (static scripts, styles, images; no data).',
  'HEAD /console/{proxy+}': 'HEAD of the web console assets (static files, no data).',
  'GET /console/oauth/callback':
    "ServiceNow's OAuth redirect target: the browser arrives without our headers; the HMAC-signed, expiring, single-use state is the credential, bound to a pending record of the user who started the connection.",
};

const publicRouteJustification = (route: RouteDefinition): string => {
  const justification = PUBLIC_ROUTE_JUSTIFICATIONS[`${route.method} ${route.path}`];
  if (!justification) {
    throw new Error(
      `Route ${routeKeyOf(route)} has auth 'none' but no entry in PUBLIC_ROUTE_JUSTIFICATIONS (infra/constructs/api.ts)`,
    );
  }
  return justification;
};

/** The route key API Gateway uses, e.g. `GET /elements/api-v2/ping`. */
export const routeKeyOf = (route: RouteDefinition): string => `${route.method} ${API_BASE_PATH}${route.path}`;

/**
 * One JSON object per request. Field names follow the HTTP API `$context` variables
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging-variables.html);
 * `requestId` is the id our functions put in `Elements-Request-Id`, so a caller's report leads
 * straight to the access log line and the function's log lines.
 */
export const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  httpMethod: '$context.httpMethod',
  path: '$context.path',
  routeKey: '$context.routeKey',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationStatus: '$context.integrationStatus',
  integrationErrorMessage: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
  errorMessage: '$context.error.message',
  sourceIp: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
});

/**
 * The public HTTP surface: an API Gateway **HTTP API** (payload format 2.0) with one route per entry of
 * ROUTES and one Lambda function per entry of LAMBDA_FUNCTIONS.
 *
 * Why an HTTP API and not a REST API: about 60-70 % lower latency overhead and ~70 % lower price per
 * request; Lambda REQUEST authorizers with simple responses and caching keyed on the identity source
 * (exactly what the later `User ..., Organization ..., Element ...` header authorizer needs); binary
 * bodies are base64-encoded for the function automatically (bulk CSV, attachments) without
 * binaryMediaTypes. What it lacks, accepted here: AWS WAF cannot be attached (put CloudFront + WAF in
 * front if needed), no request validation (the functions validate with zod), no usage plans / API keys
 * (stage throttling only), no edge-optimised or private endpoints.
 */
export class ApiConstruct extends Construct {
  readonly httpApi: apigw.HttpApi;
  readonly stage: apigw.HttpStage;
  readonly accessLogGroup: logs.LogGroup;
  readonly functions: Record<FunctionName, ElementFunction>;
  /** `https://{api-id}.execute-api.{region}.amazonaws.com/elements/api-v2` */
  readonly baseUrl: string;

  constructor(scope: Construct, id: string, props: ApiConstructProps) {
    super(scope, id);
    const routes = props.routes ?? ROUTES;

    this.httpApi = new apigw.HttpApi(this, 'HttpApi', {
      apiName: `${Stack.of(this).stackName}-api`,
      description: 'snow-element: Cloud Elements style REST API over ServiceNow',
      // The stage is created below so it can carry access logging and throttling.
      createDefaultStage: false,
      ...(corsPreflightOf(props.corsOrigins) === undefined
        ? {}
        : { corsPreflight: corsPreflightOf(props.corsOrigins) }),
    });

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', { retention: props.logRetention });
    this.stage = new apigw.HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle ?? DEFAULT_THROTTLE,
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(this.accessLogGroup),
        format: AccessLogFormat.custom(ACCESS_LOG_FORMAT),
      },
    });
    this.baseUrl = `${this.stage.url.replace(/\/$/, '')}${API_BASE_PATH}`;

    const functions: Partial<Record<FunctionName, ElementFunction>> = {};
    const integrations = new Map<FunctionName, HttpLambdaIntegration>();
    for (const [name, definition] of Object.entries(LAMBDA_FUNCTIONS) as [
      FunctionName,
      (typeof LAMBDA_FUNCTIONS)[FunctionName],
    ][]) {
      const fn = new ElementFunction(this, `${pascalCase(name)}Function`, {
        ...functionDefaults(props),
        definition,
      });
      functions[name] = fn;
      integrations.set(
        name,
        new HttpLambdaIntegration(`${pascalCase(name)}Integration`, fn.function, {
          payloadFormatVersion: apigw.PayloadFormatVersion.VERSION_2_0,
          // One invoke permission per function for the whole API (`<apiId>/*/*/*`) instead of one per
          // route: a function's resource policy is capped at 20 KB, and ~35 route-scoped statements
          // already came close. Which routes reach a function is decided by the routes themselves.
          scopePermissionToRoute: false,
        }),
      );
    }
    this.functions = functions as Record<FunctionName, ElementFunction>;

    for (const route of routes) {
      const integration = integrations.get(route.functionName);
      if (!integration) {
        throw new Error(`Route ${routeKeyOf(route)} names unknown function "${route.functionName}"`);
      }
      const [httpRoute] = this.httpApi.addRoutes({
        path: `${API_BASE_PATH}${route.path}`,
        methods: [apigw.HttpMethod[route.method]],
        integration,
        authorizer: this.authorizerFor(route, props.authorizers),
      });
      if (route.auth === 'none' && httpRoute) {
        Validations.of(httpRoute).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: `${routeKeyOf(route)} is public by design: ${publicRouteJustification(route)}`,
        });
      }
    }
  }

  private authorizerFor(
    route: RouteDefinition,
    authorizers: RouteAuthorizers | undefined,
  ): apigw.IHttpRouteAuthorizer {
    if (route.auth === 'none') return new apigw.HttpNoneAuthorizer();
    const authorizer = authorizers?.[route.auth];
    if (!authorizer) {
      throw new Error(
        `Route ${routeKeyOf(route)} requires a '${route.auth}' authorizer, but none was given to ApiConstruct`,
      );
    }
    return authorizer;
  }
}

/** `bulkWorker` -> `BulkWorker`, `events-poller` -> `EventsPoller`: construct ids from function names. */
export const pascalCase = (name: string): string =>
  name.replace(/(^|[-_\s]+)(\w)/g, (_match, _sep: string, char: string) => char.toUpperCase());
