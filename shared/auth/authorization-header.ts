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

/**
 * Constant-time string comparison, in plain JS so the authorizer does not load node:crypto for it. The
 * loop runs over the provided value (whose length the caller knows) whatever the expected one, and
 * accumulates differences without branching: the time tells neither where the first difference is nor
 * how long the secret is.
 */
export const secretsEqual = (provided: string | undefined, expected: string): boolean => {
  if (provided === undefined || expected.length === 0) return false;
  let difference = provided.length ^ expected.length;
  for (let index = 0; index < provided.length; index += 1) {
    difference |= provided.charCodeAt(index) ^ expected.charCodeAt(index % expected.length);
  }
  return difference === 0;
};
