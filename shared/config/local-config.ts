import { type AllowedHosts, DEFAULT_ALLOWED_HOSTS, parseAllowedHosts } from '../net/allowed-hosts';
import { type Env, LOCAL_ENV, type LOG_LEVELS, readEnv } from './env';

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
  /** Instances polled at once (the poll queue's workers). */
  pollWorkers: number;
}

export const LOCAL_DEFAULTS = {
  port: 3000,
  host: '127.0.0.1',
  dataDir: './.element-data',
  demoServiceNowPort: 3001,
  bulkWorkers: 4,
  eventsWorkers: 4,
  pollWorkers: 4,
} as const;

/**
 * Reads and checks every variable local mode and its handlers use, so a malformed one stops start-up
 * (exit 2) with its name instead of failing later inside a handler.
 */
export const readLocalConfig = (env: Env): LocalConfig => {
  const local = readEnv(LOCAL_ENV, env);
  return {
    port: local.PORT ?? LOCAL_DEFAULTS.port,
    host: local.HOST ?? LOCAL_DEFAULTS.host,
    dataDir: local.ELEMENT_DATA_DIR ?? LOCAL_DEFAULTS.dataDir,
    organizationSecret: local.ELEMENT_ORGANIZATION_SECRET,
    userSecret: local.ELEMENT_USER_SECRET,
    allowedHosts: parseAllowedHosts(local.ELEMENT_ALLOWED_HOSTS ?? DEFAULT_ALLOWED_HOSTS.local),
    demoServiceNow: local.DEMO_SERVICENOW ?? true,
    demoServiceNowPort: local.DEMO_SERVICENOW_PORT ?? LOCAL_DEFAULTS.demoServiceNowPort,
    logLevel: local.LOG_LEVEL,
    bulkWorkers: local.ELEMENT_LOCAL_BULK_WORKERS ?? LOCAL_DEFAULTS.bulkWorkers,
    eventsWorkers: local.ELEMENT_LOCAL_EVENTS_WORKERS ?? LOCAL_DEFAULTS.eventsWorkers,
    pollWorkers: local.ELEMENT_LOCAL_POLL_WORKERS ?? LOCAL_DEFAULTS.pollWorkers,
  };
};
