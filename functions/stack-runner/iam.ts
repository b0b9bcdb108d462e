/**
 * Identity-based policy evaluation, as far as the stack runner checks it: Effect, Action / NotAction and
 * Resource / NotResource with `*` and `?` wildcards (actions case-insensitive, resources case-sensitive).
 * Conditions are not evaluated (README "Run the deployed stack locally" says so): a statement with a
 * Condition is taken as matching, which can only make the runner more permissive than AWS, never stricter.
 */
export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: unknown;
}

const list = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

const wildcardCache = new Map<string, RegExp>();

/** IAM's glob: `*` any run of characters, `?` one character, everything else literal. */
export const wildcardMatches = (pattern: string, value: string, ignoreCase = false): boolean => {
  const key = `${ignoreCase ? 'i' : 's'}${pattern}`;
  let regex = wildcardCache.get(key);
  if (!regex) {
    const source = pattern
      .split('')
      .map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.+^${}()|[\]\\/]/g, '\\$&')))
      .join('');
    regex = new RegExp(`^${source}$`, ignoreCase ? 'is' : 's');
    wildcardCache.set(key, regex);
  }
  return regex.test(value);
};

const matchesAction = (statement: PolicyStatement, action: string): boolean => {
  if (statement.NotAction !== undefined) {
    return !list(statement.NotAction).some((pattern) => wildcardMatches(pattern, action, true));
  }
  return list(statement.Action).some((pattern) => wildcardMatches(pattern, action, true));
};

const matchesResource = (statement: PolicyStatement, resource: string): boolean => {
  if (statement.NotResource !== undefined) {
    return !list(statement.NotResource).some((pattern) => wildcardMatches(pattern, resource));
  }
  return list(statement.Resource).some((pattern) => wildcardMatches(pattern, resource));
};

export type Decision = 'allowed' | 'implicitDeny' | 'explicitDeny';

/** An explicit Deny wins; otherwise one matching Allow is needed. */
export const evaluate = (
  statements: readonly PolicyStatement[],
  action: string,
  resource: string,
): Decision => {
  let allowed = false;
  for (const statement of statements) {
    if (!matchesAction(statement, action) || !matchesResource(statement, resource)) continue;
    if (statement.Effect === 'Deny') return 'explicitDeny';
    allowed = true;
  }
  return allowed ? 'allowed' : 'implicitDeny';
};

/** The message AWS puts in an AccessDenied answer to an assumed-role caller. */
export const accessDeniedMessage = (
  principalArn: string,
  action: string,
  resource: string,
  decision: Exclude<Decision, 'allowed'>,
): string =>
  `User: ${principalArn} is not authorized to perform: ${action} on resource: ${resource} because ` +
  (decision === 'explicitDeny'
    ? `an explicit deny in an identity-based policy denies the ${action} action`
    : `no identity-based policy allows the ${action} action`);
