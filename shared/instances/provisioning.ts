import type { ElementDefinition } from '../elements';
import { type ElementError, InvalidInputError, isElementError } from '../errors';
import {
  clientCredentialsGrant,
  createServiceNowClient,
  exchangeAuthorizationCode,
  type HttpOptions,
  type OAuthTokens,
  passwordGrant,
  ServiceNowAuthError,
} from '../servicenow';
import { checkedBaseUrl } from './base-url';
import type { Grant } from './grants';
import type { InstanceCredentials, InstanceDeps, OAuthCredentials } from './types';

/** Provisioning runs inside a 29 s Lambda: short timeouts, few retries. */
const PROVISION_TIMEOUT_MS = 10_000;
const PROVISION_ATTEMPTS = 2;

export interface ProvisionInput {
  element: ElementDefinition;
  grant: Grant;
  /** Full configuration, secrets included, values as strings. */
  configuration: Record<string, string>;
  /** providerData.code for the authorization_code grant. */
  code?: string;
  /** The stored credentials, when an update keeps an authorization_code instance's tokens. */
  previous?: InstanceCredentials;
}

export interface Provisioned {
  baseUrl: string;
  credentials: InstanceCredentials;
}

export const httpOptionsFor = (baseUrl: string, deps: InstanceDeps): HttpOptions => ({
  baseUrl,
  allowedHosts: deps.allowedHosts,
  clock: { now: () => deps.now().getTime() },
  timeoutMs: deps.http?.timeoutMs ?? PROVISION_TIMEOUT_MS,
  maxAttempts: deps.http?.maxAttempts ?? PROVISION_ATTEMPTS,
  ...(deps.http?.sleep ? { sleep: deps.http.sleep } : {}),
});

const value = (configuration: Record<string, string>, key: string): string => configuration[key] ?? '';

const rejected = (what: string, error: ElementError): ElementError =>
  new InvalidInputError(`ServiceNow rejected the ${what}`, {
    ...(error.providerMessage === undefined ? {} : { providerMessage: error.providerMessage }),
    cause: error,
  });

/** Turns ServiceNow's verdict on our credentials into the caller's error (a 400 names what to fix). */
const explain = (error: unknown, what: string): unknown => {
  if (error instanceof ServiceNowAuthError) return rejected(what, error);
  if (isElementError(error) && error.status === 403) {
    return new InvalidInputError(
      'ServiceNow accepted the credentials but denied reading sys_user; verify the user has the required roles',
      error.providerMessage === undefined ? {} : { providerMessage: error.providerMessage },
    );
  }
  return error;
};

const fromTokens = (
  base: Omit<OAuthCredentials, 'accessToken' | 'refreshToken' | 'expiresAt'>,
  tokens: OAuthTokens,
): OAuthCredentials => ({
  ...base,
  accessToken: tokens.accessToken,
  ...(tokens.refreshToken === undefined ? {} : { refreshToken: tokens.refreshToken }),
  expiresAt: tokens.expiresAt,
});

/**
 * One real round trip with the credentials: `GET /api/now/table/sys_user?sysparm_limit=1&sysparm_fields=sys_id`.
 * sys_user rather than sys_db_object: every ServiceNow user may at least query sys_user
 * (ACLs only filter rows, an empty `result` still proves the login), while sys_db_object needs explicit
 * read rights that an integration user often lacks.
 */
const verify = async (
  baseUrl: string,
  credentials: InstanceCredentials,
  deps: InstanceDeps,
): Promise<InstanceCredentials> => {
  let current = credentials;
  const client = createServiceNowClient({
    ...httpOptionsFor(baseUrl, deps),
    auth: credentials,
    // A stored authorization_code token may be refreshed while verifying; keep the new one.
    onTokens: (tokens) => {
      if (current.type === 'oauth') current = fromTokens(current, tokens);
    },
  });
  await client.list('sys_user', { limit: 1, fields: ['sys_id'] });
  return current;
};

/**
 * Checks the subdomain (SSRF guard), obtains OAuth tokens for the grant and verifies the credentials
 * with a real ServiceNow call. Nothing is stored here: callers write only after this succeeded.
 */
export const provision = async (input: ProvisionInput, deps: InstanceDeps): Promise<Provisioned> => {
  const { configuration, grant } = input;
  const baseUrl = await checkedBaseUrl(value(configuration, 'servicenow.subdomain'), deps.allowedHosts);
  const http = httpOptionsFor(baseUrl, deps);
  if (grant === 'basic') {
    const credentials: InstanceCredentials = {
      type: 'basic',
      username: value(configuration, 'username'),
      password: value(configuration, 'password'),
    };
    try {
      return { baseUrl, credentials: await verify(baseUrl, credentials, deps) };
    } catch (error) {
      throw explain(error, 'username or password');
    }
  }
  const client = {
    clientId: value(configuration, 'oauth.api.key'),
    clientSecret: value(configuration, 'oauth.api.secret'),
  };
  let credentials: OAuthCredentials;
  try {
    if (grant === 'password') {
      const user = {
        username: value(configuration, 'username'),
        password: value(configuration, 'password'),
      };
      credentials = fromTokens(
        { type: 'oauth', grant, ...client, ...user },
        await passwordGrant(http, { ...client, ...user }),
      );
    } else if (grant === 'client_credentials') {
      credentials = fromTokens(
        { type: 'oauth', grant, ...client },
        await clientCredentialsGrant(http, client),
      );
    } else {
      const redirectUri = value(configuration, 'oauth.callback.url');
      if (input.code !== undefined) {
        credentials = fromTokens(
          { type: 'oauth', grant, ...client, redirectUri },
          await exchangeAuthorizationCode(http, { ...client, code: input.code, redirectUri }),
        );
      } else {
        const previous = input.previous;
        if (
          previous?.type !== 'oauth' ||
          previous.grant !== 'authorization_code' ||
          previous.clientId !== client.clientId ||
          previous.clientSecret !== client.clientSecret ||
          previous.redirectUri !== redirectUri
        ) {
          throw new InvalidInputError(
            'providerData.code is required to authorize this instance (authorization_code grant); get one from GET /elements/servicenowoauth/oauth/url',
          );
        }
        credentials = previous;
      }
    }
  } catch (error) {
    throw explain(error, 'OAuth credentials (client id/secret, user, or authorization code)');
  }
  try {
    return { baseUrl, credentials: await verify(baseUrl, credentials, deps) };
  } catch (error) {
    throw explain(error, 'OAuth access token');
  }
};
