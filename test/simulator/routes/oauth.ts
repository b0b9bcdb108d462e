/**
 * `POST /oauth_token.do` and `GET /oauth_auth.do`.
 * Token requests must be form-encoded; grants: password, refresh_token, authorization_code,
 * client_credentials. The authorize step shows browsers a consent page and answers other clients at once.
 */
import type { AuthService, TokenGrant } from '../auth';
import { OAUTH_ACCESS_DENIED, oauthError } from '../envelopes';
import { json, type SimRequest, type SimResponse } from './context';

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

function tokenResponse(auth: AuthService, grant: TokenGrant): SimResponse {
  const body: Record<string, string | number> = { access_token: grant.accessToken.token };
  if (grant.refreshToken) body.refresh_token = grant.refreshToken.token;
  body.scope = 'useraccount';
  body.token_type = 'Bearer';
  body.expires_in = auth.remainingSeconds(grant.accessToken);
  return json(200, body, NO_STORE);
}

const accessDenied = (): SimResponse => json(401, OAUTH_ACCESS_DENIED, NO_STORE);

export function tokenRoute(req: SimRequest, auth: AuthService): SimResponse {
  if (req.method !== 'POST') return json(405, oauthError('invalid_request', 'POST required'), NO_STORE);
  // C.5: "application/json results in an unspecified error" — answer with the observed failure body.
  const contentType = req.headers['content-type'] ?? '';
  if (!contentType.toLowerCase().startsWith('application/x-www-form-urlencoded')) return accessDenied();
  const form = new URLSearchParams(req.body.toString('utf8'));

  let clientId = form.get('client_id') ?? '';
  let clientSecret = form.get('client_secret') ?? '';
  const basic = req.headers.authorization;
  if (!clientId && basic?.toLowerCase().startsWith('basic ')) {
    const decoded = Buffer.from(basic.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    clientId = decodeURIComponent(decoded.slice(0, colon));
    clientSecret = decodeURIComponent(decoded.slice(colon + 1));
  }
  const client = auth.checkClient(clientId, clientSecret);
  if (!client) return accessDenied();

  switch (form.get('grant_type')) {
    case 'password': {
      const user = auth.checkPassword(form.get('username') ?? '', form.get('password') ?? '');
      if (!user) return accessDenied();
      return tokenResponse(auth, auth.grantUser(client.clientId, user.userName));
    }
    case 'refresh_token': {
      const access = auth.refresh(client.clientId, form.get('refresh_token') ?? '');
      if (!access) return json(401, oauthError('invalid_grant', 'invalid refresh token'), NO_STORE);
      return tokenResponse(auth, { accessToken: access, refreshToken: undefined });
    }
    case 'authorization_code': {
      const code = form.get('code');
      if (!code) return json(400, oauthError('invalid_request', 'code is required'), NO_STORE);
      const userName = auth.redeemCode(code, client.clientId, form.get('redirect_uri') ?? undefined);
      if (!userName) return json(400, oauthError('invalid_grant', 'invalid authorization code'), NO_STORE);
      return tokenResponse(auth, auth.grantUser(client.clientId, userName));
    }
    case 'client_credentials': {
      // C.5: without an "OAuth Application User" the instance refuses the grant.
      if (!client.clientCredentialsUser) {
        return json(401, oauthError('unauthorized_client', 'integration user is not configured'), NO_STORE);
      }
      return tokenResponse(auth, auth.grantClient(client.clientId, client.clientCredentialsUser));
    }
    default:
      return json(400, oauthError('unsupported_grant_type', 'unsupported grant type'), NO_STORE);
  }
}

/** Escapes text for HTML element content and double-quoted attribute values. */
const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

/** The parameters of an authorize request: the query of a GET, the form of the consent page's POST. */
const authorizeParams = (req: SimRequest): URLSearchParams =>
  req.method === 'POST' ? new URLSearchParams(req.body.toString('utf8')) : req.query;

/** A browser navigating here (it asks for HTML) gets the consent page unless it already chose. */
const wantsConsentPage = (req: SimRequest, params: URLSearchParams): boolean =>
  req.method === 'GET' &&
  params.get('sysparm_auto') === null &&
  req.headers.authorization === undefined &&
  (req.headers.accept ?? '').includes('text/html');

const consentPage = (params: URLSearchParams, clientId: string, userName: string): SimResponse => {
  const hidden = ['response_type', 'client_id', 'redirect_uri', 'state']
    .filter((name) => params.get(name) !== null)
    .map((name) => `<input type="hidden" name="${name}" value="${escapeHtml(params.get(name) ?? '')}">`)
    .join('\n      ');
  const body = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Authorize ${escapeHtml(clientId)} - ServiceNow simulator</title>
  </head>
  <body>
    <main>
      <h1>Connect to ServiceNow</h1>
      <p>The application <strong>${escapeHtml(clientId)}</strong> asks to access this ServiceNow instance
        as <strong>${escapeHtml(userName)}</strong>.</p>
      <form method="post" action="/oauth_auth.do">
      ${hidden}
        <button type="submit" name="action" value="allow">Allow</button>
        <button type="submit" name="action" value="deny">Deny</button>
      </form>
    </main>
  </body>
</html>
`;
  return {
    status: 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
      ...NO_STORE,
    },
    body,
  };
};

/**
 * Authorize step: `?response_type=code&client_id&redirect_uri&state`. A browser (Accept: text/html, no
 * Authorization header) gets a consent page whose Allow / Deny buttons POST back here; anything else is
 * decided at once (the automatic mode HTTP clients and tests use): 302 to redirect_uri with `code` and
 * `state`, or `error=access_denied` with `sysparm_auto=deny`. The approving user is the one in a Basic
 * `Authorization` header, else the first user.
 */
export function authorizeRoute(req: SimRequest, auth: AuthService): SimResponse {
  if (req.method !== 'GET' && req.method !== 'POST') {
    return json(405, oauthError('invalid_request', 'GET or POST required'), NO_STORE);
  }
  const q = authorizeParams(req);
  const client = auth.client(q.get('client_id') ?? '');
  if (!client) return json(400, oauthError('invalid_client', 'unknown client_id'), NO_STORE);
  const requested = q.get('redirect_uri') ?? undefined;
  const registered = client.redirectUris ?? [];
  if (requested !== undefined && !registered.includes(requested)) {
    return json(
      400,
      oauthError('invalid_request', 'redirect_uri does not match the registered URL'),
      NO_STORE,
    );
  }
  const target = requested ?? registered[0];
  if (!target) return json(400, oauthError('invalid_request', 'no redirect_uri registered'), NO_STORE);
  const header = auth.authenticate(req.headers.authorization);
  const userName = header.userName ?? auth.users[0]?.userName;
  if (wantsConsentPage(req, q) && userName && q.get('response_type') === 'code') {
    return consentPage(q, client.clientId, userName);
  }
  const denied = req.method === 'POST' ? q.get('action') !== 'allow' : q.get('sysparm_auto') === 'deny';
  const location = new URL(target);
  if (q.get('response_type') !== 'code') {
    location.searchParams.set('error', 'unsupported_response_type');
  } else if (!userName || denied) {
    location.searchParams.set('error', 'access_denied');
  } else {
    location.searchParams.set('code', auth.issueCode(client.clientId, userName, requested ?? ''));
  }
  const state = q.get('state');
  if (state !== null) location.searchParams.set('state', state);
  return { status: 302, headers: { location: location.toString(), ...NO_STORE }, body: undefined };
}
