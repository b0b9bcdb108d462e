/** Word pools for realistic generated records. */

export const FIRST_NAMES = [
  'Abel',
  'Beth',
  'Carla',
  'David',
  'Don',
  'Emma',
  'Fred',
  'Grace',
  'Hiro',
  'Ines',
  'Jamal',
  'Karen',
  'Luis',
  'Maria',
  'Nadia',
  'Omar',
  'Priya',
  'Quentin',
  'Rosa',
  'Sam',
  'Tara',
  'Uma',
  'Victor',
  'Wei',
  'Yusuf',
  'Zoe',
  'Bud',
  'Charlie',
  'Alene',
  'Jerrod',
  'Lucius',
  'Mildred',
];

export const LAST_NAMES = [
  'Tuter',
  'Anderson',
  'Goodliffe',
  'Luddy',
  'Bennett',
  'Chen',
  'Dubois',
  'Evans',
  'Fischer',
  'Garcia',
  'Hansen',
  'Ito',
  'Johansson',
  'Kowalski',
  'Lopez',
  'Martin',
  'Nguyen',
  'Okafor',
  'Patel',
  'Quinn',
  'Rossi',
  'Schmidt',
  'Tanaka',
  'Usman',
  'Valdez',
  'Whitaker',
  'Xu',
  'Young',
  'Zimmerman',
  'Richards',
  'Rodgers',
];

export const DEPARTMENTS = [
  'IT',
  'Finance',
  'HR',
  'Sales',
  'Marketing',
  'Development',
  'Customer Support',
  'Legal',
];

export const TITLES = [
  'Service Desk Analyst',
  'Network Engineer',
  'Database Administrator',
  'Software Engineer',
  'Account Manager',
  'Financial Analyst',
  'HR Generalist',
  'IT Manager',
  'Director of Operations',
  'Support Engineer',
];

export const COMPANY_NAMES = [
  'ACME North America',
  'Globex Corporation',
  'Initech',
  'Umbrella Health',
  'Stark Logistics',
  'Wayne Retail',
  'Hooli Cloud',
  'Vandelay Industries',
  'Soylent Foods',
  'Tyrell Systems',
  'Cyberdyne Labs',
  'Wonka Confectionery',
];

export const CITIES: [string, string][] = [
  ['San Diego', 'USA'],
  ['London', 'UK'],
  ['Paris', 'France'],
  ['Berlin', 'Germany'],
  ['Tokyo', 'Japan'],
  ['Toronto', 'Canada'],
  ['Sydney', 'Australia'],
  ['Amsterdam', 'Netherlands'],
  ['Madrid', 'Spain'],
];

export const GROUP_NAMES = [
  'Service Desk',
  'Network',
  'Database',
  'Hardware',
  'Software',
  'Application Development',
  'IT Securities',
  'Help Desk',
  'Openspace',
  'CAB Approval',
  'Change Management',
  'Problem Solving',
  'Incident Management',
  'Capacity Mgmt',
  'Field Services',
  'Cloud Operations',
  'Identity and Access',
  'Messaging',
  'Storage',
  'Telecom',
  'Facilities',
  'End User Computing',
  'SAP Basis',
  'ERP Support',
];

export const ROLES = [
  'admin',
  'itil',
  'itil_admin',
  'approver_user',
  'snc_platform_rest_api_access',
  'rest_api_explorer',
];

const SYSTEMS = [
  'email',
  'VPN',
  'SAP',
  'Outlook',
  'printer',
  'laptop',
  'Wi-Fi',
  'CRM',
  'payroll system',
  'SharePoint',
  'Jira',
  'database server',
  'web portal',
  'mobile app',
  'file share',
  'Teams',
  'badge reader',
  'ERP',
  'Salesforce',
];

const SYMPTOMS = [
  '{s} is not working',
  'Cannot connect to {s}',
  '{s} is very slow',
  'Unable to log in to {s}',
  'Error message when opening {s}',
  '{s} keeps crashing',
  'Need access to {s}',
  '{s} outage reported by users',
  'Password reset required for {s}',
  '{s} shows a blank screen',
  'Intermittent failures on {s}',
  'Request to upgrade {s}',
  '{s} certificate expired',
  'Data missing in {s}',
  '{s} timeouts since this morning',
];

const DETAILS = [
  'User reports the issue started after the latest update. Restarting did not help.',
  'Several colleagues in the same office are affected. Please investigate urgently.',
  'The problem happens only when connected from home over the VPN.',
  'Error code 0x80070005 is displayed. Screenshot attached.',
  'Issue is reproducible on two different machines.',
  'Happens every day around 9:00 when everyone logs in.',
  'The user needs this fixed before the quarterly close.',
  '<p>Steps: open the application, click <b>Submit</b>, wait.</p>',
];

const COMMENTS = [
  'Thanks, I will try that and let you know.',
  'Still happening after the restart.',
  'Can you please provide an update?',
  'Issue resolved on my side, thank you!',
  'Attached the logs you asked for.',
];

const WORK_NOTES = [
  'Checked the server logs, nothing obvious yet.',
  'Escalated to the network team.',
  'Applied the known workaround from KB0000011.',
  'Waiting for vendor response.',
  'Root cause identified: expired certificate on the load balancer.',
];

/** Pre-built pools: generated records share these strings, which keeps 1M rows small in memory. */
export const SHORT_DESCRIPTIONS = SYMPTOMS.flatMap((s) => SYSTEMS.map((sys) => s.replace('{s}', sys))).map(
  (s) => s.charAt(0).toUpperCase() + s.slice(1),
);
export const DESCRIPTIONS = DETAILS.flatMap((d) => SYSTEMS.map((sys) => `Affected service: ${sys}. ${d}`));
export { COMMENTS, WORK_NOTES };

export const CLOSE_NOTES = [
  'Restarted the service, user confirmed it works.',
  'Reset the password and unlocked the account.',
  'Replaced the faulty hardware.',
  'Applied configuration fix; monitoring for 24h.',
  'Duplicate of an existing incident.',
];

export const CHANGE_PLANS = [
  'Deploy the new release during the maintenance window.',
  'Patch the servers in two batches; verify health checks.',
  'Replace the network switch in rack 12.',
  'Rotate certificates on the load balancers.',
];
