import { CONSOLE_OAUTH_CALLBACK_PATH, CONSOLE_PATH } from '../routes';
import type { ResolvedPlatformSecrets } from './platform-secrets';

export interface BannerInput {
  /** `http://127.0.0.1:3000/elements/api-v2` */
  apiUrl: string;
  dataDir: string;
  secrets: ResolvedPlatformSecrets;
  simulator?: { url: string };
}

/** The first line of the banner; tests wait for it. */
export const READY_LINE = 'snow-element local API ready at';

/** How a secret appears in shell commands: its value when local mode made it, the variable when the user set it. */
const shellValue = (secret: { value: string; source: string }, variable: string) =>
  secret.source === 'environment' ? `$${variable}` : secret.value;

/**
 * The user secret as it goes into a header. A list (`alice:s1,bob:s2`, shared/auth/users.ts) cannot be
 * pasted as one secret, so the commands then show a placeholder to replace with one user's secret.
 */
const userShellValue = (secret: { value: string; source: string }) =>
  secret.value.includes(':')
    ? '<one user secret from ELEMENT_USER_SECRET>'
    : shellValue(secret, 'ELEMENT_USER_SECRET');

/** The `Authorization` value platform commands (instances, ...) use: `-H "Authorization: ${...}"`. */
export const platformAuthorization = (secrets: ResolvedPlatformSecrets): string =>
  `User ${userShellValue(secrets.user)}, Organization ${shellValue(
    secrets.organization,
    'ELEMENT_ORGANIZATION_SECRET',
  )}`;

/** The `Authorization` value of hub calls: the user secret plus the element token of an instance. */
export const hubAuthorization = (secrets: ResolvedPlatformSecrets, token: string): string =>
  `User ${userShellValue(secrets.user)}, Element ${token}`;

/**
 * The ready-to-paste commands, one place for all of them. Add one here when a feature lands.
 * Commands use double quotes so `$ELEMENT_..._SECRET` expands when the user supplied the secrets.
 * Lines starting with `#` inside a command are comments the user uncomments (multi-step flows).
 */
export const curlCommands = (input: BannerInput): { title: string; command: string }[] => {
  const platform = platformAuthorization(input.secrets);
  const commands = [
    { title: 'Is the API up?', command: `curl -s "${input.apiUrl}/ping"` },
    {
      title: 'The elements this API serves (platform auth: User + Organization)',
      command: `curl -s -H "Authorization: ${platform}" "${input.apiUrl}/elements"`,
    },
  ];
  if (!input.simulator) return commands;
  const instanceBody = JSON.stringify({
    element: { key: 'servicenow' },
    name: 'demo',
    configuration: { username: 'admin', password: 'admin', 'servicenow.subdomain': input.simulator.url },
  });
  return [
    ...commands,
    {
      title: 'Two incidents straight from the demo ServiceNow',
      command: `curl -s -u admin:admin "${input.simulator.url}/api/now/table/incident?sysparm_limit=2"`,
    },
    {
      title: 'Connect the demo ServiceNow as a Basic instance; the answer carries its element token',
      command: [
        `# curl -s -X POST -H "Authorization: ${platform}" -H "Content-Type: application/json" \\`,
        `  #   -d '${instanceBody}' "${input.apiUrl}/instances"`,
        '  # then, with TOKEN set to the "token" of that answer, call the hub through it:',
        `  # curl -s -H "Authorization: ${hubAuthorization(input.secrets, '$TOKEN')}" "${input.apiUrl}/hubs/helpdesk/ping"`,
      ].join('\n'),
    },
    {
      title: 'Bulk: export incidents to CSV (TOKEN as above; JOB = the "id" answered), then fetch the file',
      command: [
        `# curl -s -X POST -H "Authorization: ${hubAuthorization(input.secrets, '$TOKEN')}" "${input.apiUrl}/bulk/download" \\`,
        `  #   -H "Content-Type: application/json" -d '{"objectName":"incidents","format":"text/csv"}'`,
        `  # curl -s -H "Authorization: ${hubAuthorization(input.secrets, '$TOKEN')}" "${input.apiUrl}/bulk/$JOB/status"`,
        `  # curl -s -L -H "Authorization: ${hubAuthorization(input.secrets, '$TOKEN')}" -H "Accept: text/csv" "${input.apiUrl}/bulk/$JOB/incidents"`,
      ].join('\n'),
    },
  ];
};

const describeSecret = (label: string, variable: string, secret: { value: string; source: string }) => {
  if (secret.source === 'environment') return `  ${label}: from ${variable}`;
  const origin = secret.source === 'generated' ? 'generated now' : 'generated earlier';
  return `  ${label}: ${secret.value}   (${origin}; set ${variable} to choose your own)`;
};

/**
 * The start-up banner. It prints the local organization and user secrets on purpose: they are the
 * user's own credentials for this machine, and this terminal is the only place they can read them.
 * Nothing else in the code base prints or logs a secret.
 */
export const renderBanner = (input: BannerInput): string => {
  const lines = [
    `${READY_LINE} ${input.apiUrl}`,
    `  data dir: ${input.dataDir}`,
    '',
    `Web console: ${input.apiUrl}${CONSOLE_PATH}/   (sign in with the two secrets below)`,
    `  OAuth redirect URI to register on a ServiceNow OAuth application: ${input.apiUrl}${CONSOLE_OAUTH_CALLBACK_PATH}`,
    '',
    'Local platform credentials (LOCAL SECRETS, shown deliberately; keep them to yourself):',
    describeSecret('Organization secret', 'ELEMENT_ORGANIZATION_SECRET', input.secrets.organization),
    describeSecret('User secret        ', 'ELEMENT_USER_SECRET', input.secrets.user),
    '',
  ];
  if (input.simulator) {
    lines.push(
      `Demo ServiceNow simulator: ${input.simulator.url}`,
      '  Basic auth: admin / admin    OAuth client: demo-client / demo-secret',
      '',
    );
  } else {
    lines.push('Demo ServiceNow simulator: off (DEMO_SERVICENOW=0)', '');
  }
  lines.push('Try:');
  for (const { title, command } of curlCommands(input)) lines.push(`  # ${title}`, `  ${command}`);
  lines.push('', 'Stop with Ctrl-C.');
  return `${lines.join('\n')}\n`;
};
