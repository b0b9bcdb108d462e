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
    await expect(provider()).resolves.toEqual({ organization: 'o', user: 'u' });
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
    await expect(secrets()).resolves.toEqual({ organization: 'org-v1', user: 'user-v1' });
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
    await expect(secrets()).resolves.toEqual({ organization: 'org-v1', user: 'user-v2' });
  });

  it('does not cache a failure', async () => {
    const secrets = provider(() => 0);
    secretsManager
      .on(GetSecretValueCommand, { SecretId: ORG_ARN })
      .rejectsOnce(new Error('throttled'))
      .resolves({ SecretString: 'org-v1' });
    await expect(secrets()).rejects.toThrow('throttled');
    await expect(secrets()).resolves.toEqual({ organization: 'org-v1', user: 'user-v1' });
  });

  it('is what the default provider uses when the ARNs are set', async () => {
    const secrets = defaultPlatformSecrets({
      ELEMENT_ORGANIZATION_SECRET_ARN: ORG_ARN,
      ELEMENT_USER_SECRET_ARN: USER_ARN,
      AWS_REGION: 'eu-west-1',
    });
    await expect(secrets()).resolves.toEqual({ organization: 'org-v1', user: 'user-v1' });
  });

  it('falls back to plain variables without ARNs', async () => {
    const secrets = defaultPlatformSecrets({ ELEMENT_ORGANIZATION_SECRET: 'o', ELEMENT_USER_SECRET: 'u' });
    await expect(secrets()).resolves.toEqual({ organization: 'o', user: 'u' });
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });
});
