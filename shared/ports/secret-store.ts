import { InvalidNameError } from './errors';

/**
 * Where credentials, org/user secrets and tokens live: Secrets Manager in AWS, encrypted files locally.
 * Values are opaque strings (callers JSON-encode structured secrets).
 */
export interface SecretStore {
  /** The current value, or undefined when there is no such secret. */
  get(name: string): Promise<string | undefined>;
  /** Create or overwrite. */
  put(name: string, value: string): Promise<void>;
  /** Remove; deleting a missing secret is not an error. */
  delete(name: string): Promise<void>;
}

// Secrets Manager allows letters, digits and /_+=.@- up to 512 chars; we keep a prefix budget and also
// refuse empty, `.` and `..` path segments so a name can never walk out of its namespace.
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,400}$/;

export function assertValidSecretName(name: string): void {
  if (typeof name !== 'string' || !SECRET_NAME.test(name)) {
    throw new InvalidNameError('secret name', 'use 1-400 characters from A-Z a-z 0-9 / _ + = . @ -');
  }
  for (const segment of name.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') {
      throw new InvalidNameError('secret name', 'empty, "." and ".." path segments are not allowed');
    }
  }
}
