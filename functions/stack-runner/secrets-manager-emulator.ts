import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';

/**
 * A minimal Secrets Manager speaking the real wire protocol (awsJson1_1, dispatch on X-Amz-Target),
 * so the adapter is tested through the SDK's own serialization and typed-error parsing, and the stack
 * runner's functions reach it like the real service. No emulator for Secrets Manager installs from npm;
 * aws-sdk-client-mock would bypass exactly the layer (error `__type` -> exception class) the adapter's
 * fallbacks depend on.
 */
export interface FakeSecret {
  arn: string;
  name: string;
  value: string | undefined;
  versionId: string;
  createdDate: number;
  deletedDate?: number;
  kmsKeyId?: string;
  tags: { Key: string; Value: string }[];
}

class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

type Body = Record<string, unknown>;

export interface FakeSecretsManager {
  endpoint: string;
  secrets: Map<string, FakeSecret>;
  /** Operation names in call order. */
  calls: string[];
  /** Creates a secret directly (the stack's own secrets); an existing one keeps its value unless `overwrite`. */
  seed(name: string, value: string, overwrite?: boolean): FakeSecret;
  /** The ARN of a secret by name or ARN. */
  arnOf(id: string): string | undefined;
  close(): Promise<void>;
}

export interface FakeSecretsManagerOptions {
  region?: string;
  accountId?: string;
  /** A JSON file the secrets are kept in across restarts (written after every change). */
  persistPath?: string;
}

/** The six characters Secrets Manager appends to a secret's name in its ARN. */
const arnSuffix = () =>
  randomBytes(6)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, 'x')
    .slice(0, 6);

export async function startFakeSecretsManager(
  options: FakeSecretsManagerOptions = {},
): Promise<FakeSecretsManager> {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '000000000000';
  const secrets = new Map<string, FakeSecret>();
  if (options.persistPath && existsSync(options.persistPath)) {
    for (const secret of JSON.parse(readFileSync(options.persistPath, 'utf8')) as FakeSecret[]) {
      secrets.set(secret.name, secret);
    }
  }
  const persist = () => {
    if (!options.persistPath) return;
    mkdirSync(dirname(options.persistPath), { recursive: true });
    const temporary = `${options.persistPath}.tmp`;
    writeFileSync(temporary, JSON.stringify([...secrets.values()]), { mode: 0o600 });
    renameSync(temporary, options.persistPath);
  };
  const newArn = (name: string) =>
    `arn:aws:secretsmanager:${region}:${accountId}:secret:${name}-${arnSuffix()}`;
  const calls: string[] = [];
  const find = (id: unknown): FakeSecret => {
    const secret = [...secrets.values()].find((s) => s.name === id || s.arn === id);
    if (!secret)
      throw new ApiError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    return secret;
  };
  const live = (id: unknown): FakeSecret => {
    const secret = find(id);
    if (secret.deletedDate !== undefined) {
      throw new ApiError(
        'InvalidRequestException',
        "You can't perform this operation on the secret because it was marked for deletion.",
      );
    }
    return secret;
  };
  const ref = (s: FakeSecret) => ({ ARN: s.arn, Name: s.name, VersionId: s.versionId });

  const operations: Record<string, (body: Body) => Body> = {
    CreateSecret(body) {
      const name = String(body.Name);
      if (secrets.has(name)) throw new ApiError('ResourceExistsException', 'The secret already exists.');
      const secret: FakeSecret = {
        arn: newArn(name),
        name,
        value: body.SecretString as string | undefined,
        versionId: randomUUID(),
        createdDate: Date.now() / 1000,
        tags: (body.Tags as FakeSecret['tags'] | undefined) ?? [],
        ...(body.KmsKeyId ? { kmsKeyId: String(body.KmsKeyId) } : {}),
      };
      secrets.set(name, secret);
      return ref(secret);
    },
    GetSecretValue(body) {
      const secret = live(body.SecretId);
      if (secret.value === undefined) throw new ApiError('ResourceNotFoundException', 'No secret value.');
      return {
        ...ref(secret),
        SecretString: secret.value,
        VersionStages: ['AWSCURRENT'],
        CreatedDate: secret.createdDate,
      };
    },
    PutSecretValue(body) {
      const secret = live(body.SecretId);
      secret.value = String(body.SecretString);
      secret.versionId = randomUUID();
      return { ...ref(secret), VersionStages: ['AWSCURRENT'] };
    },
    DeleteSecret(body) {
      const secret = find(body.SecretId);
      if (body.ForceDeleteWithoutRecovery) secrets.delete(secret.name);
      else secret.deletedDate = Date.now() / 1000;
      return { ARN: secret.arn, Name: secret.name, DeletionDate: Date.now() / 1000 };
    },
    DescribeSecret(body) {
      const secret = find(body.SecretId);
      return {
        ARN: secret.arn,
        Name: secret.name,
        CreatedDate: secret.createdDate,
        Tags: secret.tags,
        ...(secret.kmsKeyId ? { KmsKeyId: secret.kmsKeyId } : {}),
        ...(secret.deletedDate !== undefined ? { DeletedDate: secret.deletedDate } : {}),
      };
    },
    TagResource(body) {
      const secret = live(body.SecretId);
      secret.tags = [...secret.tags, ...((body.Tags as FakeSecret['tags'] | undefined) ?? [])];
      return {};
    },
    RestoreSecret(body) {
      const secret = find(body.SecretId);
      delete secret.deletedDate;
      return { ARN: secret.arn, Name: secret.name };
    },
  };

  const reply = (res: ServerResponse, status: number, body: Body, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', ...headers });
    res.end(JSON.stringify(body));
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
      calls.push(operation);
      try {
        const handler = operations[operation];
        if (!handler) throw new ApiError('UnknownOperationException', `Unknown operation ${operation}`);
        reply(res, 200, handler(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Body));
        if (!/^(Get|Describe)/.test(operation)) persist();
      } catch (error) {
        const apiError =
          error instanceof ApiError
            ? error
            : new ApiError('InternalServiceError', String((error as Error).message));
        reply(
          res,
          apiError.type === 'InternalServiceError' ? 500 : 400,
          { __type: apiError.type, message: apiError.message },
          { 'x-amzn-errortype': apiError.type },
        );
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    secrets,
    calls,
    seed(name, value, overwrite = false) {
      const existing = secrets.get(name);
      if (existing && overwrite && existing.value !== value) {
        existing.value = value;
        existing.versionId = randomUUID();
        persist();
      }
      if (existing) return existing;
      const secret: FakeSecret = {
        arn: newArn(name),
        name,
        value,
        versionId: randomUUID(),
        createdDate: Date.now() / 1000,
        tags: [],
      };
      secrets.set(name, secret);
      persist();
      return secret;
    },
    arnOf: (id) => [...secrets.values()].find((s) => s.name === id || s.arn === id)?.arn,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
