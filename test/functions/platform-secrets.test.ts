import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  defaultPlatformSecrets,
  environmentPlatformSecrets,
  PlatformSecretsUnavailableError,
} from '../../shared/auth';
import { secretsManagerPlatformSecrets } from '../../shared/auth/secrets-manager-platform-secrets';

const ORG_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:snow-element/org-AbCdEf';
const USER_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:snow-element/user-AbCdEf';

describe('platform secrets from the environment', () => {
  it('reads both variables', async () => {
    const provider = environmentPlatformSecrets({
      ELEMENT_ORGANIZATION_SECRET: 'o',
      ELEMENT_USER_SECRET: 'u',
    });
    await expect(provider()).resolves.toEqual({
      organization: 'o',
      users: [{ userId: 'default', secret: 'u' }],
    });
  });

  it('reads a list of users', async () => {
    const provider = environmentPlatformSecrets({
      ELEMENT_ORGANIZATION_SECRET: 'o',
      ELEMENT_USER_SECRET: 'alice:a-secret, bob:b-secret',
    });
    await expect(provider()).resolves.toEqual({
      organization: 'o',
      users: [
        { userId: 'alice', secret: 'a-secret' },
        { userId: 'bob', secret: 'b-secret' },
      ],
    });
  });

  it('fails without naming any value when one is missing', async () => {
    const provider = environmentPlatformSecrets({ ELEMENT_USER_SECRET: 'u' });
    await expect(provider()).rejects.toBeInstanceOf(PlatformSecretsUnavailableError);
  });
});

describe('platform secrets from Secrets Manager', () => {
  const secretsManager = mockClient(SecretsManagerClient);
  beforeEach(() => {
    secretsManager.reset();
    secretsManager.on(GetSecretValueCommand, { SecretId: ORG_ARN }).resolves({ SecretString: 'org-v1' });
    secretsManager.on(GetSecretValueCommand, { SecretId: USER_ARN }).resolves({ SecretString: 'user-v1' });
  });

  const provider = (now: () => number) =>
    secretsManagerPlatformSecrets({
      organizationSecretArn: ORG_ARN,
      userSecretArn: USER_ARN,
      client: new SecretsManagerClient({ region: 'eu-west-1' }),
      cacheMs: 60_000,
      now,
    });

  it('fetches both secrets once and reuses them while fresh', async () => {
    let time = 0;
    const secrets = provider(() => time);
    await expect(secrets()).resolves.toEqual({
      organization: 'org-v1',
      users: [{ userId: 'default', secret: 'user-v1' }],
    });
    time = 59_000;
    await secrets();
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('picks up a rotated secret once the cache expires', async () => {
    let time = 0;
    const secrets = provider(() => time);
    await secrets();
    secretsManager.on(GetSecretValueCommand, { SecretId: USER_ARN }).resolves({ SecretString: 'user-v2' });
    time = 61_000;
    await expect(secrets()).resolves.toEqual({
      organization: 'org-v1',
      users: [{ userId: 'default', secret: 'user-v2' }],
    });
  });

  it('parses a user list stored in the user secret', async () => {
    secretsManager
      .on(GetSecretValueCommand, { SecretId: USER_ARN })
      .resolves({ SecretString: 'alice:a1,bob:b2' });
    await expect(provider(() => 0)()).resolves.toEqual({
      organization: 'org-v1',
      users: [
        { userId: 'alice', secret: 'a1' },
        { userId: 'bob', secret: 'b2' },
      ],
    });
  });

  it('reports a malformed user list without its values', async () => {
    secretsManager
      .on(GetSecretValueCommand, { SecretId: USER_ARN })
      .resolves({ SecretString: 'alice:topsecret-a,alice:topsecret-b' });
    const failure = await provider(() => 0)().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PlatformSecretsUnavailableError);
    expect(String((failure as Error).message)).toContain('repeats user id alice');
    expect(String((failure as Error).message)).not.toContain('topsecret');
  });

  it('does not cache a failure', async () => {
    const secrets = provider(() => 0);
    secretsManager
      .on(GetSecretValueCommand, { SecretId: ORG_ARN })
      .rejectsOnce(new Error('throttled'))
      .resolves({ SecretString: 'org-v1' });
    await expect(secrets()).rejects.toThrow('throttled');
    await expect(secrets()).resolves.toEqual({
      organization: 'org-v1',
      users: [{ userId: 'default', secret: 'user-v1' }],
    });
  });

  it('is what the default provider uses when the ARNs are set', async () => {
    const secrets = defaultPlatformSecrets({
      ELEMENT_ORGANIZATION_SECRET_ARN: ORG_ARN,
      ELEMENT_USER_SECRET_ARN: USER_ARN,
      AWS_REGION: 'eu-west-1',
    });
    await expect(secrets()).resolves.toEqual({
      organization: 'org-v1',
      users: [{ userId: 'default', secret: 'user-v1' }],
    });
  });

  it('falls back to plain variables without ARNs', async () => {
    const secrets = defaultPlatformSecrets({ ELEMENT_ORGANIZATION_SECRET: 'o', ELEMENT_USER_SECRET: 'u' });
    await expect(secrets()).resolves.toEqual({
      organization: 'o',
      users: [{ userId: 'default', secret: 'u' }],
    });
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });
});
