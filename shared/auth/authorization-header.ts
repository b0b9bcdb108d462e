import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The credentials a Cloud Elements `Authorization` header carries
 *:
 * `User <user secret>, Organization <organization secret>[, Element <element token>]`,
 * in any order ("order is not significant"), keywords case-insensitive.
 */
export interface AuthorizationCredentials {
  user?: string;
  organization?: string;
  element?: string;
}

const KEYWORDS = { user: 'user', organization: 'organization', element: 'element' } as const;

/**
 * Parses the header; returns undefined when it is absent or malformed (unknown keyword, a keyword
 * given twice, a part without a value). Callers answer 401 either way, so no reason is reported:
 * telling a caller which part was wrong would help someone guessing secrets.
 */
export const parseAuthorizationHeader = (
  header: string | undefined,
): AuthorizationCredentials | undefined => {
  if (header === undefined) return undefined;
  const credentials: AuthorizationCredentials = {};
  for (const part of header.split(',')) {
    const match = /^\s*([A-Za-z]+)\s+(\S+)\s*$/.exec(part);
    if (!match) return undefined;
    const keyword = match[1]!.toLowerCase();
    if (!Object.hasOwn(KEYWORDS, keyword)) return undefined;
    const key = KEYWORDS[keyword as keyof typeof KEYWORDS];
    if (credentials[key] !== undefined) return undefined;
    credentials[key] = match[2]!;
  }
  return credentials;
};

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * Constant-time string comparison. Both sides are hashed first so the comparison always runs on
 * 32 bytes: timingSafeEqual alone throws on different lengths, which would leak the secret's length.
 */
export const secretsEqual = (provided: string | undefined, expected: string): boolean => {
  if (provided === undefined || expected.length === 0) return false;
  return timingSafeEqual(digest(provided), digest(expected));
};
