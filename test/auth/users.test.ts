import { describe, expect, it } from 'vitest';
import { parseUserSecrets, UserSecretConfigError } from '../../shared/auth';

describe('ELEMENT_USER_SECRET parsing', () => {
  it('reads one secret as user "default"', () => {
    expect(parseUserSecrets('  abc123  ')).toEqual([{ userId: 'default', secret: 'abc123' }]);
  });

  it('reads a userId:secret list, tolerating spaces around entries', () => {
    expect(parseUserSecrets('alice:s3cret, bob.b-2_x:an0ther:with:colons')).toEqual([
      { userId: 'alice', secret: 's3cret' },
      { userId: 'bob.b-2_x', secret: 'an0ther:with:colons' },
    ]);
  });

  it.each([
    ['empty', '', 'is empty'],
    ['blank', '   ', 'is empty'],
    ['a single secret with a space', 'abc def', 'whitespace'],
    [
      'an entry without colon',
      'alice:aaa-secret,bobsecret-xyz',
      'entry 2 of ELEMENT_USER_SECRET is not of the form',
    ],
    ['a bad user id', 'al ice:aaa-secret', 'invalid user id'],
    ['a too long user id', `${'u'.repeat(65)}:aaa-secret`, 'invalid user id'],
    ['an empty secret', 'alice:,bob:bbb-secret', 'empty secret'],
    ['a repeated user', 'alice:aaa-secret,alice:ccc-secret', 'repeats user id alice'],
    ['a shared secret', 'alice:aaa-secret,bob:aaa-secret', 'reuses the secret'],
    ['an empty entry', 'alice:aaa-secret,,bob:bbb-secret', 'entry 2'],
  ])('refuses %s with a message that holds no secret', (_, value, expected) => {
    let error: unknown;
    try {
      parseUserSecrets(value);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UserSecretConfigError);
    const { message } = error as Error;
    expect(message).toContain(expected);
    for (const secret of ['aaa-secret', 'bbb-secret', 'ccc-secret', 'bobsecret-xyz', 'abc def']) {
      expect(message).not.toContain(secret);
    }
  });
});
