/**
 * The users of one organization. `ELEMENT_USER_SECRET` is either ONE secret (user id `default`) or a
 * comma-separated list of `userId:secret` pairs: `alice:s3cret,bob:an0ther` (userId `[A-Za-z0-9_.-]{1,64}`).
 * Each user sees only the instances it created (instances
 * belong to the user whose secret made them).
 *
 * Error messages name the position and the user id, never a secret: they reach logs and start-up output.
 */

export interface ElementUser {
  userId: string;
  secret: string;
}

/** The user id of a single-secret configuration. */
export const DEFAULT_USER_ID = 'default';

export const USER_ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

export class UserSecretConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserSecretConfigError';
  }
}

/**
 * Secrets travel inside the comma-separated Authorization header (`User <secret>, Organization ...`),
 * so they cannot hold whitespace or commas. A `:` in a single secret is what marks a list, hence also out.
 */
const SECRET_PATTERN = /^[^\s,]+$/;

/**
 * Parses `ELEMENT_USER_SECRET`. A value without `:` is one secret for user `default`; otherwise every
 * comma-separated entry must be `userId:secret` (the secret may contain `:` after the first one).
 * Duplicate user ids and duplicate secrets are refused: a secret must identify exactly one user.
 */
export const parseUserSecrets = (value: string | undefined): ElementUser[] => {
  const text = value?.trim() ?? '';
  if (text === '') throw new UserSecretConfigError('ELEMENT_USER_SECRET is empty');
  if (!text.includes(':')) {
    if (!SECRET_PATTERN.test(text)) {
      throw new UserSecretConfigError('ELEMENT_USER_SECRET must not contain whitespace or commas');
    }
    return [{ userId: DEFAULT_USER_ID, secret: text }];
  }
  const users: ElementUser[] = [];
  const ids = new Set<string>();
  const secrets = new Set<string>();
  for (const [index, rawEntry] of text.split(',').entries()) {
    const position = `entry ${index + 1} of ELEMENT_USER_SECRET`;
    const entry = rawEntry.trim();
    const separator = entry.indexOf(':');
    if (separator < 0) {
      throw new UserSecretConfigError(`${position} is not of the form userId:secret`);
    }
    const userId = entry.slice(0, separator);
    const secret = entry.slice(separator + 1);
    if (!USER_ID_PATTERN.test(userId)) {
      throw new UserSecretConfigError(`${position} has an invalid user id (allowed: [A-Za-z0-9_.-]{1,64})`);
    }
    if (secret === '' || !SECRET_PATTERN.test(secret)) {
      throw new UserSecretConfigError(
        `${position} (user ${userId}) has an empty secret or one with whitespace`,
      );
    }
    if (ids.has(userId)) throw new UserSecretConfigError(`${position} repeats user id ${userId}`);
    if (secrets.has(secret)) {
      throw new UserSecretConfigError(`${position} (user ${userId}) reuses the secret of another user`);
    }
    ids.add(userId);
    secrets.add(secret);
    users.push({ userId, secret });
  }
  return users;
};
