/**
 * The one reader of the environment: every variable a function uses, with its type (local mode reads
 * the same plus its own, LOCAL_ENV in local-config.ts, which no Lambda bundle holds). A malformed value
 * stops start-up with a ConfigError naming the variable (never its value, which may be a secret),
 * instead of silently falling back to a default.
 */
import { parseAllowedHosts } from '../net/allowed-hosts';
import * as z from '../validation/zod';
import { ConfigError } from './config-error';

// Imported as a namespace: this schema sits on every function's cold-start path (the authorizer's
// too), and only then can the bundler drop what it does not use (see shared/validation/zod.ts).

export type Env = Readonly<Record<string, string | undefined>>;

/** An unset or blank variable counts as absent, the way shells and .env files usually mean it. */
export const optional = <T extends z.core.SomeType>(schema: T) =>
  z.pipe(
    z.transform((value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value)),
    z.optional(schema),
  );

export const text = optional(z.string().check(z.trim()));
export const integer = (min: number, max: number, what: string) =>
  optional(
    z
      .pipe(z.string().check(z.trim(), z.regex(/^\d+$/, `must be ${what}`)), z.transform(Number))
      .check(z.refine((n) => n >= min && n <= max, `must be ${what}`)),
  );
const positiveInt = integer(1, Number.MAX_SAFE_INTEGER, 'a whole number greater than 0');

/** Blank is meaningful here (an explicitly empty allow-list), so it is not read as unset. */
const allowedHosts = z.optional(z.string()).check(
  z.superRefine((value, ctx) => {
    try {
      parseAllowedHosts(value);
    } catch (error) {
      const message = error instanceof Error ? error.message : 'is invalid';
      ctx.addIssue({ code: 'custom', message: message.replace(/^ELEMENT_ALLOWED_HOSTS /, '') });
    }
  }),
);

/**
 * `https://host[:port]` and nothing more (no wildcard, path, query or credentials): one origin a CSP may
 * name. Lowercase, as browsers serialize an origin.
 */
const HTTPS_ORIGIN = /^https:\/\/[a-z0-9-]+(\.[a-z0-9-]+)*(:\d{1,5})?$/;
const httpsOrigin = optional(
  z.string().check(
    z.trim(),
    z.refine(
      (value: string) => HTTPS_ORIGIN.test(value) && URL.canParse(value) && new URL(value).origin === value,
      'must be one https origin such as https://host.example.com',
    ),
  ),
);

/** What the deployed functions read; local mode reads the same plus LOCAL_ENV's own variables. */
export const FUNCTION_ENV = z.object({
  /** `aws` (set by the stack): AWS adapters; anything else: the local file-backed ones. */
  ELEMENT_MODE: text,
  ELEMENT_DATA_DIR: text,
  ELEMENT_ALLOWED_HOSTS: allowedHosts,
  ELEMENT_CORS_ORIGINS: text,
  ELEMENT_STATE_TABLE: text,
  ELEMENT_SECRET_PREFIX: text,
  ELEMENT_KMS_KEY_ID: text,
  ELEMENT_ORGANIZATION_SECRET_ARN: text,
  ELEMENT_USER_SECRET_ARN: text,
  ELEMENT_EVENTS_QUEUE_URL: text,
  ELEMENT_EVENTS_POLL_QUEUE_URL: text,
  ELEMENT_EVENTS_DEAD_LETTER_QUEUE_ARN: text,
  ELEMENT_EVENTS_MAX_RECEIVE_COUNT: positiveInt,
  ELEMENT_EVENTS_CALLBACK_TIMEOUT_MS: positiveInt,
  ELEMENT_BULK_BUCKET: text,
  ELEMENT_BULK_QUEUE_URL: text,
  ELEMENT_BULK_DEAD_LETTER_QUEUE_ARN: text,
  ELEMENT_BULK_MAX_RECEIVE_COUNT: positiveInt,
  ELEMENT_BULK_CHUNK_DEADLINE_MS: positiveInt,
  ELEMENT_BULK_PAGES_PER_CHUNK: positiveInt,
  /** 0 writes rows one at a time. */
  ELEMENT_BULK_UPLOAD_BATCH_SIZE: integer(0, Number.MAX_SAFE_INTEGER, 'a whole number (0 or more)'),
  ELEMENT_BULK_MAX_MULTIPART_BYTES: positiveInt,
  /**
   * The bulk bucket's origin (set by the stack on the console function): the console's CSP lets fetch
   * follow the bulk file route's 302 to a presigned URL there. Unset (local mode): same origin only.
   */
  ELEMENT_CONSOLE_BULK_ORIGIN: httpsOrigin,
});

export type FunctionEnv = z.infer<typeof FUNCTION_ENV>;

/** Parses `env` against `schema`; every malformed variable is named in one ConfigError. */
export const readEnv = <S extends z.ZodMiniType>(schema: S, env: Env): z.infer<S> => {
  const result = z.safeParse(schema, env);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => `${issue.path.map(String).join('.')} ${issue.message}`).join('; '),
  );
};

/** The functions' environment, typed; throws a ConfigError naming each malformed variable. */
export const readFunctionEnv = (env: Env): FunctionEnv => readEnv(FUNCTION_ENV, env);

/** A variable this function cannot run without (the stack sets it); its absence names it. */
export const required = <K extends keyof FunctionEnv>(
  env: FunctionEnv,
  name: K,
): NonNullable<FunctionEnv[K]> => {
  const value = env[name];
  if (value === undefined) throw new ConfigError(`${name} is not set`);
  return value as NonNullable<FunctionEnv[K]>;
};
