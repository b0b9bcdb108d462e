import { describe, expect, it } from 'vitest';
import { parseAuthorizationHeader, secretsEqual, verifyPlatformCredentials } from '../../shared/auth';

describe('Authorization header parsing', () => {
  it('reads User, Organization and Element in any order', () => {
    expect(parseAuthorizationHeader('Element tok, Organization org, User usr')).toEqual({
      user: 'usr',
      organization: 'org',
      element: 'tok',
    });
  });

  it('tolerates whitespace and keyword case', () => {
    expect(parseAuthorizationHeader('  user   usr ,ORGANIZATION\torg  ')).toEqual({
      user: 'usr',
      organization: 'org',
    });
  });

  it.each([
    ['an empty header', ''],
    ['an unknown keyword', 'User a, Admin b'],
    ['a keyword without value', 'User , Organization b'],
    ['a value with spaces', 'User a b, Organization c'],
    ['a repeated keyword', 'User a, user b'],
    ['a trailing comma', 'User a, Organization b,'],
  ])('rejects %s', (_, header) => {
    expect(parseAuthorizationHeader(header)).toBeUndefined();
  });

  it('treats a missing header as no credentials', () => {
    expect(parseAuthorizationHeader(undefined)).toBeUndefined();
  });
});

describe('secret comparison', () => {
  it('matches equal secrets only', () => {
    expect(secretsEqual('abc', 'abc')).toBe(true);
    expect(secretsEqual('abc', 'abd')).toBe(false);
    expect(secretsEqual('abc', 'abcd')).toBe(false);
    expect(secretsEqual(undefined, 'abc')).toBe(false);
  });

  it('never matches an empty expected secret', () => {
    expect(secretsEqual('', '')).toBe(false);
  });

  it('needs both platform secrets', () => {
    const secrets = { users: [{ userId: 'default', secret: 'u' }], organization: 'o' };
    expect(verifyPlatformCredentials({ user: 'u', organization: 'o' }, secrets)).toBe(true);
    expect(verifyPlatformCredentials({ user: 'u', organization: 'x' }, secrets)).toBe(false);
    expect(verifyPlatformCredentials({ user: 'u' }, secrets)).toBe(false);
    expect(verifyPlatformCredentials(undefined, secrets)).toBe(false);
  });
});
