import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  hashElementToken,
  parseAuthorizationHeader,
  secretsEqual,
  verifyPlatformCredentials,
} from '../../shared/auth';

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

  it('refuses a repetition, a prefix or an extension of the secret', () => {
    expect(secretsEqual('abcabc', 'abc')).toBe(false);
    expect(secretsEqual('ab', 'abc')).toBe(false);
    expect(secretsEqual('', 'abc')).toBe(false);
    expect(secretsEqual('abc\u0000', 'abc')).toBe(false);
  });

  it('agrees with string equality for any pair of strings', () => {
    const secret = fc.string({ unit: 'binary', maxLength: 40 });
    fc.assert(
      fc.property(secret, secret, (provided, expected) => {
        expect(secretsEqual(provided, expected)).toBe(expected !== '' && provided === expected);
      }),
    );
    fc.assert(
      fc.property(secret, (value) => {
        expect(secretsEqual(value, value)).toBe(value !== '');
      }),
    );
  });

  it("hashes an element token to the sha256 hex of its UTF-8 bytes (the token index's key)", () => {
    expect(hashElementToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hashElementToken('é')).toBe('4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c');
  });

  it('needs both platform secrets', () => {
    const secrets = { users: [{ userId: 'default', secret: 'u' }], organization: 'o' };
    expect(verifyPlatformCredentials({ user: 'u', organization: 'o' }, secrets)).toBe(true);
    expect(verifyPlatformCredentials({ user: 'u', organization: 'x' }, secrets)).toBe(false);
    expect(verifyPlatformCredentials({ user: 'u' }, secrets)).toBe(false);
    expect(verifyPlatformCredentials(undefined, secrets)).toBe(false);
  });
});
