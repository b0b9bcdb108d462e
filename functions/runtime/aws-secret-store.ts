import { required } from '../../shared/config/env';
import type { SecretStore } from '../../shared/ports/secret-store';
import type { Env } from './aws-ports';

/** Secrets Manager (ELEMENT_SECRET_PREFIX, optional ELEMENT_KMS_KEY_ID). */
export const awsSecretStore = async (env: Env): Promise<SecretStore> => {
  const namePrefix = required(env, 'ELEMENT_SECRET_PREFIX');
  const secrets = await import('../../shared/adapters/aws/secret-store');
  return secrets.createAwsSecretStore({
    client: secrets.createDefaultSecretsManagerClient(),
    namePrefix,
    ...(env.ELEMENT_KMS_KEY_ID ? { kmsKeyId: env.ELEMENT_KMS_KEY_ID } : {}),
  });
};
