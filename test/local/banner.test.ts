import { describe, expect, it } from 'vitest';
import { curlCommands, platformAuthorization } from '../../functions/local';

const input = (user: string, source: 'environment' | 'generated') => ({
  apiUrl: 'http://127.0.0.1:3000/elements/api-v2',
  dataDir: '/tmp/data',
  secrets: { organization: { value: 'org-value', source }, user: { value: user, source } },
});

describe('banner commands', () => {
  it('use the variables, not their values, when the user chose the secrets', () => {
    expect(platformAuthorization(input('user-value', 'environment').secrets)).toBe(
      'User $ELEMENT_USER_SECRET, Organization $ELEMENT_ORGANIZATION_SECRET',
    );
  });

  it('show a placeholder instead of a whole multi-user list', () => {
    const commands = curlCommands(input('alice:a-secret,bob:b-secret', 'environment'))
      .map((command) => command.command)
      .join('\n');
    expect(commands).toContain('User <one user secret from ELEMENT_USER_SECRET>, Organization');
    expect(commands).not.toContain('a-secret');
    expect(commands).not.toContain('$ELEMENT_USER_SECRET,');
  });

  it('leave the simulator commands out when the demo is off', () => {
    const titles = curlCommands(input('u', 'generated')).map((command) => command.title);
    expect(titles).toHaveLength(2);
    expect(curlCommands(input('u', 'generated'))[1]?.command).toBe(
      'curl -s -H "Authorization: User u, Organization org-value" "http://127.0.0.1:3000/elements/api-v2/elements"',
    );
  });
});
