import { BadUpstreamError, ThrottledError } from '../errors';
import type { HttpOptions } from './context';
import { buildHttpContext } from './context';
import { providerMessageOf, ServiceNowAuthError } from './errors';
import { exchange } from './http';
import { parseRetryAfter, withRetries } from './retry';
import type { HttpContext, OAuthAuth, OAuthTokens, ServiceNowAuth } from './types';

/** Refresh this long before the access token expires, so in-flight calls never carry a dead token. */
export const DEFAULT_REFRESH_SKEW_MS = 60_000;

// ---------------------------------------------------------------------------------------------
// Token endpoint: POST /oauth_token.do, form-encoded body (JSON is rejected).

const tokenRequest = async (ctx: HttpContext, params: Record<string, string>): Promise<OAuthTokens> => {
  const body = new URLSearchParams(params).toString();
  const deps = { policy: ctx.retry, sleep: ctx.sleep, random: ctx.random };
  const raw = await withRetries('POST', deps, async () => {
    const result = await exchange(ctx, {
      method: 'POST',
      url: `${ctx.baseUrl}/oauth_token.do`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body,
    });
    if (!result.ok) return result;
    const { status, headers, text } = result.value;
    if (status === 200) return result;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const providerMessage = providerMessageOf(parsed);
    // 400/401 from the token endpoint means the grant itself is bad: permanent.
    const error =
      status === 400 || status === 401
        ? new ServiceNowAuthError('ServiceNow rejected the OAuth credentials', providerMessage)
        : new (status === 429 ? ThrottledError : BadUpstreamError)(
            `ServiceNow OAuth token endpoint failed with status ${status}`,
            providerMessage === undefined ? {} : { providerMessage },
          );
    const retryAfterMs = parseRetryAfter(headers['retry-after'], ctx.clock.now());
    return {
      ok: false as const,
      failure: { kind: 'status' as const, status },
      error,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
  });
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(raw.text) as Record<string, unknown>;
  } catch {
    throw new BadUpstreamError('ServiceNow OAuth token endpoint returned a response that is not valid JSON');
  }
  const accessToken = json.access_token;
  if (typeof accessToken !== 'string' || accessToken === '') {
    throw new BadUpstreamError('ServiceNow OAuth token endpoint returned no access token');
  }
  const expiresIn = Number(json.expires_in ?? 1800);
  const tokens: OAuthTokens = {
    accessToken,
    expiresAt: ctx.clock.now() + (Number.isFinite(expiresIn) ? expiresIn : 1800) * 1000,
  };
  if (typeof json.refresh_token === 'string' && json.refresh_token !== '') {
    tokens.refreshToken = json.refresh_token;
  }
  if (typeof json.scope === 'string') tokens.scope = json.scope;
  return tokens;
};

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

const passwordParams = (c: ClientCredentials & { username: string; password: string }) => ({
  grant_type: 'password',
  client_id: c.clientId,
  client_secret: c.clientSecret,
  username: c.username,
  password: c.password,
});

const clientCredentialsParams = (c: ClientCredentials & { scope?: string }) => ({
  grant_type: 'client_credentials',
  client_id: c.clientId,
  client_secret: c.clientSecret,
  ...(c.scope === undefined ? {} : { scope: c.scope }),
});

const refreshParams = (c: ClientCredentials & { refreshToken: string }) => ({
  grant_type: 'refresh_token',
  client_id: c.clientId,
  client_secret: c.clientSecret,
  refresh_token: c.refreshToken,
});

export const passwordGrant = (
  http: HttpOptions,
  creds: ClientCredentials & { username: string; password: string },
): Promise<OAuthTokens> => tokenRequest(buildHttpContext(http), passwordParams(creds));

export const clientCredentialsGrant = (
  http: HttpOptions,
  creds: ClientCredentials & { scope?: string },
): Promise<OAuthTokens> => tokenRequest(buildHttpContext(http), clientCredentialsParams(creds));

export const exchangeAuthorizationCode = (
  http: HttpOptions,
  creds: ClientCredentials & { code: string; redirectUri: string },
): Promise<OAuthTokens> =>
  tokenRequest(buildHttpContext(http), {
    grant_type: 'authorization_code',
    client_id: creds.clientId,
    client_secret: creds.clientSecret,
    code: creds.code,
    redirect_uri: creds.redirectUri,
  });

/** ServiceNow does not rotate refresh tokens (C.5): the result usually carries no refreshToken. */
export const refreshAccessToken = (
  http: HttpOptions,
  creds: ClientCredentials & { refreshToken: string },
): Promise<OAuthTokens> => tokenRequest(buildHttpContext(http), refreshParams(creds));

/** The URL to send a user to for the authorization-code grant. */
export const authorizationUrl = (
  baseUrl: string,
  params: { clientId: string; redirectUri: string; state: string },
): string => {
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: params.clientId,
    redirect_uri: params.redirectUri,
    state: params.state,
  });
  return `${baseUrl.replace(/\/+$/, '')}/oauth_auth.do?${query.toString()}`;
};

// ---------------------------------------------------------------------------------------------
// Authorizers: what the client asks for an Authorization header.

export interface Authorizer {
  /** Stable, non-secret identity for the per-instance concurrency key. */
  readonly identity: string;
  authorization(): Promise<string>;
  /**
   * Called after a 401 answered a request sent with `usedAuthorization`. Returns true when a
   * different credential is now available and the request is worth one more try.
   */
  recoverFromUnauthorized(usedAuthorization: string): Promise<boolean>;
}

export const basicAuthorizer = (auth: { username: string; password: string }): Authorizer => {
  const header = `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}`;
  return {
    identity: `basic:${auth.username}`,
    authorization: async () => header,
    recoverFromUnauthorized: async () => false,
  };
};

export type OnTokens = (tokens: OAuthTokens) => void | Promise<void>;

/**
 * OAuth bearer tokens, refreshed ahead of expiry and after a 401. Single-flight: concurrent callers
 * share one token request. With a refresh token the refresh_token grant is used; if that fails
 * (revoked/expired) the password or client_credentials grant is re-run when its credentials are
 * known. Otherwise a ServiceNowAuthError (401) tells the caller the instance needs re-authorizing.
 */
export class OAuthTokenProvider implements Authorizer {
  readonly identity: string;
  private accessToken: string | undefined;
  private refreshToken: string | undefined;
  private expiresAt: number | undefined;
  private inflight: Promise<string> | undefined;

  constructor(
    private readonly ctx: HttpContext,
    private readonly auth: OAuthAuth,
    private readonly onTokens?: OnTokens,
    private readonly skewMs: number = DEFAULT_REFRESH_SKEW_MS,
  ) {
    this.identity = `oauth:${auth.clientId}:${auth.username ?? auth.grant}`;
    this.accessToken = auth.accessToken;
    this.refreshToken = auth.refreshToken;
    this.expiresAt = auth.expiresAt;
  }

  async authorization(): Promise<string> {
    return `Bearer ${await this.token()}`;
  }

  async token(): Promise<string> {
    if (this.accessToken !== undefined && !this.expiresSoon()) return this.accessToken;
    return this.refresh();
  }

  async recoverFromUnauthorized(usedAuthorization: string): Promise<boolean> {
    const current = this.accessToken === undefined ? undefined : `Bearer ${this.accessToken}`;
    if (current !== undefined && current !== usedAuthorization && !this.expiresSoon()) return true;
    await this.refresh();
    return true;
  }

  /** Single-flight refresh: every caller awaits the same promise. */
  refresh(): Promise<string> {
    if (this.inflight === undefined) {
      this.inflight = this.obtain().finally(() => {
        this.inflight = undefined;
      });
    }
    return this.inflight;
  }

  private expiresSoon(): boolean {
    return this.expiresAt !== undefined && this.ctx.clock.now() >= this.expiresAt - this.skewMs;
  }

  private async obtain(): Promise<string> {
    const { clientId, clientSecret } = this.auth;
    let tokens: OAuthTokens | undefined;
    let refreshFailure: unknown;
    if (this.refreshToken !== undefined) {
      try {
        tokens = await tokenRequest(
          this.ctx,
          refreshParams({ clientId, clientSecret, refreshToken: this.refreshToken }),
        );
        tokens.refreshToken ??= this.refreshToken;
      } catch (err) {
        if (!(err instanceof ServiceNowAuthError)) throw err; // transient: keep state, try later
        refreshFailure = err;
        this.refreshToken = undefined;
      }
    }
    if (tokens === undefined) tokens = await this.regrant(refreshFailure);
    this.accessToken = tokens.accessToken;
    this.expiresAt = tokens.expiresAt;
    if (tokens.refreshToken !== undefined) this.refreshToken = tokens.refreshToken;
    if (this.onTokens) {
      try {
        await this.onTokens({ ...tokens, ...(this.refreshToken ? { refreshToken: this.refreshToken } : {}) });
      } catch {
        // Persisting is best effort: the tokens in memory are valid, and ServiceNow keeps
        // returning the same refresh token (C.5), so the next refresh can persist again.
      }
    }
    return tokens.accessToken;
  }

  private async regrant(refreshFailure: unknown): Promise<OAuthTokens> {
    const { clientId, clientSecret, grant, username, password } = this.auth;
    if (grant === 'password' && username !== undefined && password !== undefined) {
      return tokenRequest(this.ctx, passwordParams({ clientId, clientSecret, username, password }));
    }
    if (grant === 'client_credentials') {
      return tokenRequest(this.ctx, clientCredentialsParams({ clientId, clientSecret }));
    }
    if (refreshFailure instanceof ServiceNowAuthError) {
      throw new ServiceNowAuthError(
        'ServiceNow rejected the OAuth refresh token; the instance must be re-authorized',
        refreshFailure.providerMessage,
      );
    }
    throw new ServiceNowAuthError(
      'The OAuth access token expired and no refresh token is available; the instance must be re-authorized',
    );
  }
}

export const createAuthorizer = (
  ctx: HttpContext,
  auth: ServiceNowAuth,
  onTokens?: OnTokens,
  skewMs?: number,
): Authorizer =>
  auth.type === 'basic' ? basicAuthorizer(auth) : new OAuthTokenProvider(ctx, auth, onTokens, skewMs);
