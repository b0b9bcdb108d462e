/**
 * The physical names, ARNs and URLs the stack's resources get on this machine: what `Ref` and
 * `Fn::GetAtt` answer, in the names CloudFormation would make (`<stack>-<logical id>`), in the region and
 * account of the emulators. Secrets are created in the Secrets Manager emulator here, because their ARN
 * (with its random suffix) is only known once they exist.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { ACCOUNT_ID, REGION } from './emulators';
import type { FakeSecretsManager } from './secrets-manager-emulator';
import { type CfnTemplate, type PhysicalResource, referencedLogicalId, resourcesOfType } from './template';

export interface PhysicalResourcesInput {
  template: CfnTemplate;
  stackName: string;
  /** Queue URLs point at the SQS proxy. */
  sqsProxyUrl: string;
  /** The HTTP API's endpoint. */
  apiEndpoint: string;
  secretsManager: FakeSecretsManager;
  /** Values for secrets that functions find through `<NAME>_ARN`, by NAME; the others are generated. */
  secretValues?: Record<string, string>;
}

export interface PhysicalResources {
  physical: Map<string, PhysicalResource>;
  /** API id by the logical id of its AWS::ApiGatewayV2::Api. */
  apiIds: Map<string, string>;
  /** Secret values by logical id. */
  secretValues: Map<string, string>;
  /** Secret logical id -> the variable name (without `_ARN`) functions find it by. */
  secretEnvNames: Map<string, string>;
  /** Logical ids of the secrets an earlier run created (kept in the data dir). */
  storedSecrets: Set<string>;
}

/** A value as Secrets Manager's GenerateSecretString makes one. */
export const generateSecret = (spec: Record<string, unknown> | undefined): string => {
  const length = Number(spec?.PasswordLength ?? 32);
  let alphabet = '';
  if (!spec?.ExcludeUppercase) alphabet += 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  if (!spec?.ExcludeLowercase) alphabet += 'abcdefghijklmnopqrstuvwxyz';
  if (!spec?.ExcludeNumbers) alphabet += '0123456789';
  if (!spec?.ExcludePunctuation) alphabet += '!#$%&()*+,-./:;<=>?@[]^_{|}~';
  const exclude = String(spec?.ExcludeCharacters ?? '');
  const characters = [...alphabet].filter((char) => !exclude.includes(char));
  const bytes = randomBytes(length);
  return Array.from(bytes, (byte) => characters[byte % characters.length]).join('');
};

export const physicalResources = (input: PhysicalResourcesInput): PhysicalResources => {
  const physical = new Map<string, PhysicalResource>();
  const apiIds = new Map<string, string>();
  const shortId = (logicalId: string) =>
    Buffer.from(logicalId)
      .toString('hex')
      .slice(-10)
      .replace(/[^a-z0-9]/g, 'a');
  const name = (logicalId: string, max = 64) => `${input.stackName}-${logicalId}`.slice(0, max);
  const secretValues = new Map<string, string>();
  const storedSecrets = new Set<string>();
  const secretEnvNames = new Map<string, string>();
  for (const [, fn] of resourcesOfType(input.template, 'AWS::Lambda::Function')) {
    const variables = (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)
      ?.Variables;
    for (const [variable, value] of Object.entries(variables ?? {})) {
      const target = referencedLogicalId(value);
      if (target && variable.endsWith('_ARN')) secretEnvNames.set(target, variable.slice(0, -4));
    }
  }
  for (const [logicalId, resource] of Object.entries(input.template.Resources)) {
    const properties = resource.Properties ?? {};
    switch (resource.Type) {
      case 'AWS::DynamoDB::Table': {
        const tableName = String(properties.TableName ?? name(logicalId, 255));
        physical.set(logicalId, {
          ref: tableName,
          attributes: { Arn: `arn:aws:dynamodb:${REGION}:${ACCOUNT_ID}:table/${tableName}` },
        });
        break;
      }
      case 'AWS::SQS::Queue': {
        const queueName = String(properties.QueueName ?? name(logicalId, 80));
        const url = `${input.sqsProxyUrl}/${ACCOUNT_ID}/${queueName}`;
        physical.set(logicalId, {
          ref: url,
          attributes: {
            Arn: `arn:aws:sqs:${REGION}:${ACCOUNT_ID}:${queueName}`,
            QueueName: queueName,
            QueueUrl: url,
          },
        });
        break;
      }
      case 'AWS::S3::Bucket': {
        const bucketName = String(properties.BucketName ?? name(logicalId, 63).toLowerCase());
        physical.set(logicalId, {
          ref: bucketName,
          attributes: {
            Arn: `arn:aws:s3:::${bucketName}`,
            DomainName: `${bucketName}.s3.amazonaws.com`,
            RegionalDomainName: `${bucketName}.s3.${REGION}.amazonaws.com`,
          },
        });
        break;
      }
      case 'AWS::SecretsManager::Secret': {
        const secretName = String(properties.Name ?? `${logicalId}-${shortId(logicalId)}`);
        const given = input.secretValues?.[secretEnvNames.get(logicalId) ?? ''];
        if (input.secretsManager.arnOf(secretName)) storedSecrets.add(logicalId);
        const value =
          given ??
          (properties.SecretString as string | undefined) ??
          generateSecret(properties.GenerateSecretString as Record<string, unknown> | undefined);
        // A value the user gave replaces a stored one; a generated one never does.
        const secret = input.secretsManager.seed(secretName, value, given !== undefined);
        secretValues.set(logicalId, secret.value ?? value);
        physical.set(logicalId, { ref: secret.arn, attributes: { Id: secret.arn } });
        break;
      }
      case 'AWS::Lambda::Function': {
        const functionName = String(properties.FunctionName ?? name(logicalId));
        physical.set(logicalId, {
          ref: functionName,
          attributes: { Arn: `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:${functionName}` },
        });
        break;
      }
      case 'AWS::IAM::Role': {
        const roleName = String(properties.RoleName ?? name(logicalId));
        physical.set(logicalId, {
          ref: roleName,
          attributes: {
            Arn: `arn:aws:iam::${ACCOUNT_ID}:role/${roleName}`,
            RoleId: `AROA${shortId(logicalId)}`,
          },
        });
        break;
      }
      case 'AWS::Logs::LogGroup': {
        const groupName = String(properties.LogGroupName ?? `/aws/lambda/${name(logicalId)}`);
        physical.set(logicalId, {
          ref: groupName,
          attributes: { Arn: `arn:aws:logs:${REGION}:${ACCOUNT_ID}:log-group:${groupName}:*` },
        });
        break;
      }
      case 'AWS::KMS::Key': {
        const keyId = randomUUID();
        physical.set(logicalId, {
          ref: keyId,
          attributes: { Arn: `arn:aws:kms:${REGION}:${ACCOUNT_ID}:key/${keyId}`, KeyId: keyId },
        });
        break;
      }
      case 'AWS::ApiGatewayV2::Api': {
        const apiId = shortId(logicalId);
        apiIds.set(logicalId, apiId);
        physical.set(logicalId, {
          ref: apiId,
          attributes: { ApiId: apiId, ApiEndpoint: input.apiEndpoint },
        });
        break;
      }
      case 'AWS::Events::Rule': {
        const ruleName = String(properties.Name ?? name(logicalId));
        physical.set(logicalId, {
          ref: ruleName,
          attributes: { Arn: `arn:aws:events:${REGION}:${ACCOUNT_ID}:rule/${ruleName}` },
        });
        break;
      }
      default:
        physical.set(logicalId, { ref: logicalId, attributes: {} });
    }
  }
  return { physical, apiIds, secretValues, secretEnvNames, storedSecrets };
};
