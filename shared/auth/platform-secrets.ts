import { type PlatformSecretsProvider, platformSecretsFrom } from './platform-secret-values';

/** Reads `ELEMENT_ORGANIZATION_SECRET` / `ELEMENT_USER_SECRET` from `env` on every call (local mode, tests). */
export const environmentPlatformSecrets =
  (env: NodeJS.ProcessEnv = process.env): PlatformSecretsProvider =>
  async () =>
    platformSecretsFrom(env.ELEMENT_ORGANIZATION_SECRET, env.ELEMENT_USER_SECRET);

/**
 * The provider a deployed function or local mode uses, chosen from the environment: Secrets Manager
 * when the ARNs are set (the stack sets them), otherwise the plain variables. The AWS implementation is
 * imported on first use so functions that never authenticate do not load the SDK.
 */
export const defaultPlatformSecrets = (env: NodeJS.ProcessEnv = process.env): PlatformSecretsProvider => {
  let provider: Promise<PlatformSecretsProvider> | undefined;
  return async () => {
    provider ??= (async () => {
      const organizationSecretArn = env.ELEMENT_ORGANIZATION_SECRET_ARN;
      const userSecretArn = env.ELEMENT_USER_SECRET_ARN;
      if (organizationSecretArn && userSecretArn) {
        const { secretsManagerPlatformSecrets } = await import('./secrets-manager-platform-secrets');
        return secretsManagerPlatformSecrets({ organizationSecretArn, userSecretArn });
      }
      return environmentPlatformSecrets(env);
    })();
    return (await provider)();
  };
};
