/**
 * Credentials of the simulated instance: Basic users, OAuth registry entries and the tokens issued by
 * `/oauth_token.do`. Token lifetimes follow the simulator clock
 * so tests expire tokens by advancing it.
 */
import { randomBytes } from 'node:crypto';
import type { SimClock } from './store/types';

export interface SimUser {
  userName: string;
  password: string;
  roles?: string[];
}

export interface OAuthClient {
  clientId: string;
  clientSecret: string;
  redirectUris?: string[];
  /** "OAuth Application User" required by the client_credentials grant (C.5). */
  clientCredentialsUser?: string;
}

export const DEFAULT_USERS: SimUser[] = [{ userName: 'admin', password: 'admin', roles: ['admin'] }];
export const DEFAULT_OAUTH_CLIENTS: OAuthClient[] = [
  {
    clientId: 'demo-client',
    clientSecret: 'demo-secret',
    redirectUris: ['http://127.0.0.1/callback'],
    clientCredentialsUser: 'admin',
  },
];

/** C.5: refresh tokens live 8,640,000 s (100 days) by default. */
const REFRESH_TOKEN_TTL_MS = 8_640_000 * 1000;
/** Authorization codes are short-lived and single use. */
const CODE_TTL_MS = 10 * 60 * 1000;

interface IssuedToken {
  token: string;
  clientId: string;
  userName: string;
  expiresAt: number;
}

interface IssuedCode {
  clientId: string;
  userName: string;
  redirectUri: string;
  expiresAt: number;
}

export type AuthKind = 'basic' | 'bearer' | 'none';

export interface Authentication {
  kind: AuthKind;
  /** The authenticated user name, or undefined when the credentials are missing or wrong. */
  userName: string | undefined;
}

export interface TokenGrant {
  accessToken: IssuedToken;
  refreshToken: IssuedToken | undefined;
}

function opaqueToken(): string {
  // Real tokens are ~86 URL-safe characters; opaque to clients.
  return randomBytes(64).toString('base64url').slice(0, 86);
}

export class AuthService {
  private readonly accessTokens = new Map<string, IssuedToken>();
  private readonly refreshTokens = new Map<string, IssuedToken>();
  private readonly codes = new Map<string, IssuedCode>();

  constructor(
    readonly users: SimUser[],
    readonly clients: OAuthClient[],
    private readonly accessTokenTtlSeconds: number,
    private readonly clock: SimClock,
  ) {}

  private now(): number {
    return this.clock.now().getTime();
  }

  /** Reads `Authorization`; cookies are never consulted (no session). */
  authenticate(header: string | undefined): Authentication {
    if (!header) return { kind: 'none', userName: undefined };
    const space = header.indexOf(' ');
    const scheme = header.slice(0, space).toLowerCase();
    const credentials = header.slice(space + 1).trim();
    if (scheme === 'basic') {
      const decoded = Buffer.from(credentials, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const user = this.checkPassword(decoded.slice(0, colon), decoded.slice(colon + 1));
      return { kind: 'basic', userName: colon >= 0 ? user?.userName : undefined };
    }
    if (scheme === 'bearer') {
      const token = this.accessTokens.get(credentials);
      const valid = token && token.expiresAt > this.now();
      return { kind: 'bearer', userName: valid ? token.userName : undefined };
    }
    return { kind: 'none', userName: undefined };
  }

  checkPassword(userName: string, password: string): SimUser | undefined {
    return this.users.find((u) => u.userName === userName && u.password === password);
  }

  checkClient(clientId: string, clientSecret: string): OAuthClient | undefined {
    return this.clients.find((c) => c.clientId === clientId && c.clientSecret === clientSecret);
  }

  client(clientId: string): OAuthClient | undefined {
    return this.clients.find((c) => c.clientId === clientId);
  }

  /** Seconds left on a token, as `expires_in`. */
  remainingSeconds(token: IssuedToken): number {
    return Math.max(0, Math.floor((token.expiresAt - this.now()) / 1000));
  }

  /**
   * password / authorization_code: "Requests inside the access-token lifetime return the same current
   * access token" and the current refresh token (C.5).
   */
  grantUser(clientId: string, userName: string): TokenGrant {
    return {
      accessToken: this.currentAccessToken(clientId, userName),
      refreshToken: this.currentRefreshToken(clientId, userName),
    };
  }

  /** client_credentials: access token only, acting as the client's application user. */
  grantClient(clientId: string, userName: string): TokenGrant {
    return { accessToken: this.currentAccessToken(clientId, userName), refreshToken: undefined };
  }

  /** refresh_token: a new access token; the refresh token is not rotated (C.5). */
  refresh(clientId: string, refreshToken: string): IssuedToken | undefined {
    const token = this.refreshTokens.get(refreshToken);
    if (!token || token.clientId !== clientId || token.expiresAt <= this.now()) return undefined;
    return this.issue(this.accessTokens, clientId, token.userName, this.accessTokenTtlSeconds * 1000);
  }

  issueCode(clientId: string, userName: string, redirectUri: string): string {
    const code = randomBytes(24).toString('base64url');
    this.codes.set(code, { clientId, userName, redirectUri, expiresAt: this.now() + CODE_TTL_MS });
    return code;
  }

  /** One-time: a code is consumed by its first use, whether that use succeeds or not. */
  redeemCode(code: string, clientId: string, redirectUri: string | undefined): string | undefined {
    const issued = this.codes.get(code);
    this.codes.delete(code);
    if (!issued || issued.clientId !== clientId || issued.expiresAt <= this.now()) return undefined;
    // RFC 6749 4.1.3: redirect_uri must repeat the authorize request's value ('' when it was omitted).
    if ((redirectUri ?? '') !== issued.redirectUri) return undefined;
    return issued.userName;
  }

  private currentAccessToken(clientId: string, userName: string): IssuedToken {
    const now = this.now();
    for (const token of this.accessTokens.values()) {
      if (token.clientId === clientId && token.userName === userName && token.expiresAt > now) return token;
    }
    return this.issue(this.accessTokens, clientId, userName, this.accessTokenTtlSeconds * 1000);
  }

  private currentRefreshToken(clientId: string, userName: string): IssuedToken {
    const now = this.now();
    for (const token of this.refreshTokens.values()) {
      if (token.clientId === clientId && token.userName === userName && token.expiresAt > now) return token;
    }
    return this.issue(this.refreshTokens, clientId, userName, REFRESH_TOKEN_TTL_MS);
  }

  private issue(
    store: Map<string, IssuedToken>,
    clientId: string,
    userName: string,
    ttlMs: number,
  ): IssuedToken {
    const now = this.now();
    for (const [key, token] of store) if (token.expiresAt <= now) store.delete(key);
    const token = { token: opaqueToken(), clientId, userName, expiresAt: now + ttlMs };
    store.set(token.token, token);
    return token;
  }
}
