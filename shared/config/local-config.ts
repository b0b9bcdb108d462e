import { type AllowedHosts, allowedHostsFromEnv, DEFAULT_ALLOWED_HOSTS } from '../net/allowed-hosts';
import { ConfigError } from './config-error';
import { type Env, readFlag, readPort, readPositiveInt, readString } from './parse';

const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT', 'CRITICAL'] as const;
export type ConfigLogLevel = (typeof LOG_LEVELS)[number];

/** Everything `npm start` reads from its environment (README "Local mode"). */
export interface LocalConfig {
  /** API port; 0 picks a free one. */
  port: number;
  /** Interface the API listens on; loopback by default so the demo is not reachable from the network. */
  host: string;
  /** Files standing in for S3, Secrets Manager and the state table. */
  dataDir: string;
  /** Unset -> generated once and persisted in dataDir. */
  organizationSecret: string | undefined;
  userSecret: string | undefined;
  /** Hosts exempt from the SSRF guard; local mode allows loopback so the demo simulator works. */
  allowedHosts: AllowedHosts;
  demoServiceNow: boolean;
  demoServiceNowPort: number;
  logLevel: ConfigLogLevel | undefined;
  /** Bulk queue messages handled at once (parallel Lambda invocations in AWS). */
  bulkWorkers: number;
  /** Events queue batches handled at once. */
  eventsWorkers: number;
}

export const LOCAL_DEFAULTS = {
  port: 3000,
  host: '127.0.0.1',
  dataDir: './.element-data',
  demoServiceNowPort: 3001,
  bulkWorkers: 4,
  eventsWorkers: 4,
} as const;

/** A malformed ELEMENT_ALLOWED_HOSTS stops start-up with a configuration error (exit 2), not a crash. */
const readLocalAllowedHosts = (env: Env): AllowedHosts => {
  try {
    return allowedHostsFromEnv(env, DEFAULT_ALLOWED_HOSTS.local);
  } catch (error) {
    throw new ConfigError(error instanceof Error ? error.message : 'ELEMENT_ALLOWED_HOSTS is invalid');
  }
};

export const readLocalConfig = (env: Env): LocalConfig => {
  const logLevel = readString(env, 'LOG_LEVEL')?.toUpperCase();
  if (logLevel !== undefined && !(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  }
  return {
    port: readPort(env, 'PORT', LOCAL_DEFAULTS.port),
    host: readString(env, 'HOST') ?? LOCAL_DEFAULTS.host,
    dataDir: readString(env, 'ELEMENT_DATA_DIR') ?? LOCAL_DEFAULTS.dataDir,
    organizationSecret: readString(env, 'ELEMENT_ORGANIZATION_SECRET'),
    userSecret: readString(env, 'ELEMENT_USER_SECRET'),
    allowedHosts: readLocalAllowedHosts(env),
    demoServiceNow: readFlag(env, 'DEMO_SERVICENOW', true),
    demoServiceNowPort: readPort(env, 'DEMO_SERVICENOW_PORT', LOCAL_DEFAULTS.demoServiceNowPort),
    logLevel: logLevel as ConfigLogLevel | undefined,
    bulkWorkers: readPositiveInt(env, 'ELEMENT_LOCAL_BULK_WORKERS', LOCAL_DEFAULTS.bulkWorkers),
    eventsWorkers: readPositiveInt(env, 'ELEMENT_LOCAL_EVENTS_WORKERS', LOCAL_DEFAULTS.eventsWorkers),
  };
};
