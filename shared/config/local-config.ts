import { type AllowedHosts, DEFAULT_ALLOWED_HOSTS, parseAllowedHosts } from '../net/allowed-hosts';
import * as z from '../validation/zod';
import { type Env, FUNCTION_ENV, integer, optional, readEnv, text } from './env';

const port = integer(0, 65_535, 'a port number between 0 and 65535');

/** `0`, `false`, `no`, `off` switch a flag off; anything else set switches it on. */
const flag = optional(
  z.pipe(
    z.string(),
    z.transform((raw: string) => !['0', 'false', 'no', 'off'].includes(raw.trim().toLowerCase())),
  ),
);

export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT', 'CRITICAL'] as const;

/** `npm start` and `npm run start:stack` (README "Configuration"). */
export const LOCAL_ENV = z.extend(FUNCTION_ENV, {
  PORT: port,
  HOST: text,
  ELEMENT_ORGANIZATION_SECRET: text,
  ELEMENT_USER_SECRET: text,
  DEMO_SERVICENOW: flag,
  DEMO_SERVICENOW_PORT: port,
  /** Messages of each queue handled at once (parallel Lambda invocations in AWS). */
  ELEMENT_LOCAL_BULK_WORKERS: integer(1, 1000, 'a whole number from 1 to 1000'),
  ELEMENT_LOCAL_EVENTS_WORKERS: integer(1, 1000, 'a whole number from 1 to 1000'),
  ELEMENT_LOCAL_POLL_WORKERS: integer(1, 1000, 'a whole number from 1 to 1000'),
  /** `npm run start:stack`: invocations of each queue's function at once. */
  STACK_QUEUE_CONCURRENCY: integer(1, 1000, 'a whole number from 1 to 1000'),
  /** `npm run start:stack`: `lambda` gives each function the CPU share Lambda gives its memory. */
  STACK_CPU_SHARE: optional(z.enum(['lambda', 'off'], { error: 'must be lambda or off' })),
  LOG_LEVEL: optional(
    z.pipe(
      z.pipe(
        z.string().check(z.trim()),
        z.transform((level: string) => level.toUpperCase()),
      ),
      z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }),
    ),
  ),
});

export type LocalEnv = z.infer<typeof LOCAL_ENV>;

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
