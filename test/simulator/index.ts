/**
 * ServiceNow simulator: an in-process HTTP server faithful to ServiceNow's documented behaviour
 * (Table, Attachment, Aggregate, Batch APIs, OAuth, error envelopes, faults, cost model).
 */
import { AuthService, DEFAULT_OAUTH_CLIENTS, DEFAULT_USERS, type OAuthClient, type SimUser } from './auth';
import { DEMO_DATA, seedData } from './data/generator';
import { SIM_TABLES } from './data/schema';
import { createFaultInjector, type FaultInjector } from './faults';
import { createSimServer, type RequestLogEntry } from './server';
import { createClock } from './store/clock';
import { createDatabase } from './store/database';
import type { SimClock, SimDatabase, SimDatabaseStore } from './store/types';

export type { OAuthClient, SimUser } from './auth';
export type { AclOptions, Fault, FaultInjector, FaultMatcher, FaultRequest } from './faults';
export type { RequestLogEntry } from './server';
export type { SimClock, SimDatabase, SimRecord } from './store/types';

export interface SimulatorDataOptions {
  incidents?: number;
  problems?: number;
  changes?: number;
  users?: number;
  groups?: number;
  companies?: number;
}

export interface SimulatorOptions {
  /** Default 0 (ephemeral). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Seed for the data generator and the fault PRNG (default 1). */
  seed?: number;
  /** Demo data sizes (defaults: DEMO_DATA); false = empty tables. */
  data?: false | SimulatorDataOptions;
  /** Default [{admin/admin, roles ['admin']}]. */
  users?: SimUser[];
  /** Default [{demo-client/demo-secret, redirect http://127.0.0.1/callback, clientCredentialsUser 'admin'}]. */
  oauthClients?: OAuthClient[];
  /** Default 1800. */
  accessTokenTtlSeconds?: number;
  /** Unknown field in a query -> no rows instead of ignoring the condition. */
  strictQueries?: boolean;
  /** Emit `Link` when everything fits on one page. Default true. */
  linkHeaderOnSinglePage?: boolean;
  /** Artificial delay per database cost unit, in microseconds (default 0). */
  costDelayMicrosPerUnit?: number;
  /** Newest request-log entries kept in `requests` (default 10,000). */
  requestLogLimit?: number;
  /** Requests served at once, the rest queued (default: no limit). */
  maxConcurrentRequests?: number;
}

export interface SimulatorHandle {
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  /** The instance's data: the HTTP contract (SimDatabase) plus bulk `load` and dot-walk helpers. */
  db: SimDatabaseStore;
  clock: SimClock;
  faults: FaultInjector;
  /** Newest requests (bounded), for asserting how many calls were made. */
  requests: RequestLogEntry[];
  close(): Promise<void>;
}

/** Creates sys_user rows for the configured credentials so writes carry a real sys_updated_by user. */
function ensureUsers(db: SimDatabase, users: SimUser[]): void {
  if (!db.table('sys_user')) return;
  const fields = new Set(db.fields('sys_user').map((f) => f.name));
  for (const user of users) {
    const existing = db.query('sys_user', {
      query: `user_name=${user.userName}`,
      limit: 1,
      offset: 0,
      noCount: true,
    });
    if (existing.rows.length > 0) continue;
    const values: Record<string, string> = { user_name: user.userName };
    if (fields.has('name')) values.name = user.userName === 'admin' ? 'System Administrator' : user.userName;
    if (fields.has('active')) values.active = 'true';
    db.insert('sys_user', values, { userName: 'system' });
  }
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<SimulatorHandle> {
  const seed = options.seed ?? 1;
  const clock = createClock();
  const strictQueries = options.strictQueries ?? false;
  const db = createDatabase({ clock, strictQueries, tables: SIM_TABLES });
  if (options.data !== false) seedData(db, { seed, ...DEMO_DATA, ...options.data });
  const users = options.users ?? DEFAULT_USERS;
  ensureUsers(db, users);
  const auth = new AuthService(
    users,
    options.oauthClients ?? DEFAULT_OAUTH_CLIENTS,
    options.accessTokenTtlSeconds ?? 1800,
    clock,
  );
  const faults = createFaultInjector(seed);
  const server = createSimServer({
    db,
    auth,
    faults,
    strictQueries,
    linkHeaderOnSinglePage: options.linkHeaderOnSinglePage ?? true,
    costDelayMicrosPerUnit: options.costDelayMicrosPerUnit ?? 0,
    requestLogLimit: options.requestLogLimit ?? 10_000,
    ...(options.maxConcurrentRequests === undefined
      ? {}
      : { maxConcurrentRequests: options.maxConcurrentRequests }),
  });
  const { url, port } = await server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  return { url, port, db, clock, faults, requests: server.requests, close: () => server.close() };
}
