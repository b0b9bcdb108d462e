import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { assertValidSecretName, type SecretStore } from '../../ports';

/** The client the deployed functions use (the Lambda's region and credentials), built once per container. */
export const createDefaultSecretsManagerClient = (): SecretsManagerClient => new SecretsManagerClient({});

/**
 * Secrets Manager behind the SecretStore port. Every secret lives under `namePrefix` (e.g.
 * `snow-element/prod/`) so the Lambda role can be scoped to `secret:<prefix>*` and names from
 * different stacks never collide.
 */
export interface AwsSecretStoreOptions {
  client: SecretsManagerClient;
  namePrefix: string;
  /** Customer-managed KMS key for new secrets (default: the account's aws/secretsmanager key). */
  kmsKeyId?: string;
  /** Extra tags on created secrets. */
  tags?: Record<string, string>;
}

const errorName = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null ? (error as { name?: string }).name : undefined;

// A name whose secret was deleted with a recovery window answers InvalidRequestException.
const isMarkedForDeletion = (error: unknown) =>
  errorName(error) === 'InvalidRequestException' && /deletion/i.test((error as Error).message);

export function createAwsSecretStore(options: AwsSecretStoreOptions): SecretStore {
  const { client } = options;
  const id = (name: string) => {
    assertValidSecretName(name);
    return `${options.namePrefix}${name}`;
  };
  const tags = Object.entries({ app: 'snow-element', ...options.tags }).map(([Key, Value]) => ({
    Key,
    Value,
  }));

  const putValue = (SecretId: string, SecretString: string) =>
    client.send(new PutSecretValueCommand({ SecretId, SecretString }));

  return {
    async get(name) {
      try {
        const result = await client.send(new GetSecretValueCommand({ SecretId: id(name) }));
        return result.SecretString;
      } catch (error) {
        if (errorName(error) === 'ResourceNotFoundException' || isMarkedForDeletion(error)) return undefined;
        throw error;
      }
    },

    async put(name, value) {
      const secretId = id(name);
      try {
        await putValue(secretId, value);
        return;
      } catch (error) {
        if (isMarkedForDeletion(error)) {
          await client.send(new RestoreSecretCommand({ SecretId: secretId }));
          await putValue(secretId, value);
          return;
        }
        if (errorName(error) !== 'ResourceNotFoundException') throw error;
      }
      try {
        await client.send(
          new CreateSecretCommand({
            Name: secretId,
            SecretString: value,
            Tags: tags,
            ...(options.kmsKeyId ? { KmsKeyId: options.kmsKeyId } : {}),
          }),
        );
      } catch (error) {
        // Another writer created it between our two calls: ours is the later write, so overwrite.
        if (errorName(error) !== 'ResourceExistsException') throw error;
        await putValue(secretId, value);
      }
    },

    async delete(name) {
      try {
        // No recovery window: the port promises delete-then-put works, and a window would block the name.
        await client.send(new DeleteSecretCommand({ SecretId: id(name), ForceDeleteWithoutRecovery: true }));
      } catch (error) {
        if (errorName(error) !== 'ResourceNotFoundException') throw error;
      }
    },
  };
}
