import type { ElementKey } from '../elements';
import type { AllowedHosts } from '../net';
import type { SecretStore } from '../ports/secret-store';
import type { StateTable } from '../ports/state-table';
import type { OAuthGrant } from '../servicenow';

/** An instance as stored in the state table (item `INSTANCE#<id>` / `META`). No secrets in here. */
export interface InstanceRecord {
  id: number;
  name: string;
  elementKey: ElementKey;
  ownerUserId: string;
  tags: string[];
  /** Non-secret configuration keys only, every value a string, defaults and `base.url` filled in. */
  configuration: Record<string, string>;
  secretName: string;
  valid: boolean;
  disabled: boolean;
  eventsEnabled: boolean;
  /**
   * ISO time `event.notification.enabled` last became true (create or update): the poller's first
   * checkpoint, so every change after it is delivered and nothing before it. Absent while disabled.
   */
  eventsEnabledAt?: string;
  createdDate: string;
  updatedDate: string;
  invalidReason?: string;
  /** State-table version, for optimistic locking on update. */
  version?: number;
}

export interface BasicCredentials {
  type: 'basic';
  username: string;
  password: string;
}

export interface OAuthCredentials {
  type: 'oauth';
  grant: OAuthGrant;
  clientId: string;
  clientSecret: string;
  accessToken: string;
  refreshToken?: string;
  /** Epoch milliseconds. */
  expiresAt?: number;
  username?: string;
  password?: string;
  redirectUri?: string;
}

export type InstanceCredentials = BasicCredentials | OAuthCredentials;

/**
 * The secret `instances/<id>/credentials` (JSON). `configuration` holds secret configuration keys that
 * are not credentials (e.g. `event.notification.signature.key`), so they too live only in the secret store.
 */
export interface InstanceSecret {
  token: string;
  auth: InstanceCredentials;
  configuration?: Record<string, string>;
}

/** What the instances domain needs; `Dependencies` from functions/runtime satisfies it. */
export interface InstanceDeps {
  /**
   * 'aws': several processes serve an instance, so its ServiceNow request limit is held in the state
   * table (leases); otherwise (local mode, one process) the process-wide semaphore alone.
   */
  mode?: 'aws' | 'local';
  stateTable: StateTable;
  secretStore: SecretStore;
  allowedHosts: AllowedHosts;
  now: () => Date;
  /** Outbound HTTP overrides (tests): timeouts, retries, sleep. */
  http?: InstanceHttpOptions;
}

export interface InstanceHttpOptions {
  timeoutMs?: number;
  maxAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
}
