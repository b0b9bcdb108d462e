import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { hashElementToken, type PlatformSecrets, tokenIndexKey } from '../../shared/auth';
import type { StateItem, StateKey } from '../../shared/ports/state-table';
import { GATEWAY_HEADERS } from '../functions/factories';

export const ORG = 'org-secret-0000aaaa';
export const ALICE = 'alice-secret-1111bbbb';
export const BOB = 'bob-secret-2222cccc';
/** Element tokens: 256-bit random in production, readable here. */
export const ALICE_TOKEN = 'alice-element-token-7';
export const BOB_TOKEN = 'bob-element-token-8';

export const SECRETS: PlatformSecrets = {
  organization: ORG,
  users: [
    { userId: 'alice', secret: ALICE },
    { userId: 'bob', secret: BOB },
  ],
};
export const secretsProvider = async () => SECRETS;

/** Every secret and token the fixtures use, for "never logged / never answered" scans. */
export const ALL_SECRETS = [ORG, ALICE, BOB, ALICE_TOKEN, BOB_TOKEN];

/** The token-index items of the instances contract: `TOKEN#<sha256 hex>` / `TOKEN`. */
export const tokenItem = (token: string, instanceId: number, ownerUserId: string): StateItem => ({
  ...tokenIndexKey(hashElementToken(token)),
  instanceId,
  ownerUserId,
});

/** A state table holding only get(), counting reads, for the token lookup. */
export const fakeTable = (items: StateItem[]) => {
  const byKey = new Map(items.map((item) => [`${item.pk}|${item.sk}`, item]));
  const table = {
    reads: 0,
    items: byKey,
    get: async (key: StateKey) => {
      table.reads += 1;
      return byKey.get(`${key.pk}|${key.sk}`);
    },
  };
  return table;
};

export interface AuthorizerEventInput {
  authorization?: string;
  /** Below /elements/api-v2, API Gateway syntax. */
  routePath?: string;
  method?: string;
  rawPath?: string;
  requestId?: string;
}

/**
 * A REQUEST authorizer event (payload 2.0) as API Gateway's HTTP API sends it, shape taken from the
 * AWS documentation's example: identitySource holds the Authorization value, header names lower-case.
 */
export const authorizerEvent = (input: AuthorizerEventInput = {}): APIGatewayRequestAuthorizerEventV2 => {
  const method = input.method ?? 'GET';
  const routePath = input.routePath ?? '/instances';
  const rawPath = input.rawPath ?? `/elements/api-v2${routePath}`;
  const routeKey = `${method} /elements/api-v2${routePath}`;
  const headers: Record<string, string> = {
    accept: 'application/json',
    ...GATEWAY_HEADERS,
  };
  if (input.authorization !== undefined) headers.authorization = input.authorization;
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: `arn:aws:execute-api:eu-west-1:123456789012:abc123/$default/${method}${rawPath}`,
    identitySource: input.authorization === undefined ? [] : [input.authorization],
    routeKey,
    rawPath,
    rawQueryString: '',
    cookies: [],
    headers,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: {
        method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.10',
        userAgent: 'curl/8.5.0',
      },
      requestId: input.requestId ?? 'Kx1AbCdEfGhIjK=',
      routeKey,
      stage: '$default',
      time: '24/Nov/2026:10:00:00 +0000',
      timeEpoch: 1_795_514_400_000,
    },
  };
};
