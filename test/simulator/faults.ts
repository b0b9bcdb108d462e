/**
 * Fault injection for tests: queued faults, random faults from a seeded PRNG, and an ACL mode that hides
 * rows after `sysparm_limit` was applied.
 */

export type Fault =
  | { kind: 'status'; status: 429; retryAfterSeconds?: number }
  | { kind: 'status'; status: 500 | 502 | 503; retryAfterSeconds?: number }
  | { kind: 'quota' }
  /** A.4: a read ACL on the list ("Insufficient rights to query records") or a data-policy abort on a write. */
  | { kind: 'forbidden'; detail?: string }
  | { kind: 'latency'; ms: number }
  | { kind: 'reset' }
  | { kind: 'hibernate' }
  | { kind: 'sessionOverflow' };

export interface FaultRequest {
  method: string;
  path: string;
}

export type FaultMatcher = (req: FaultRequest) => boolean;

export interface AclOptions {
  /** Fraction in [0,1] of rows hidden from reads (deterministic per sys_id). */
  hideFraction: number;
  /** Tables the ACL applies to (default: every table). */
  tables?: string[];
  /** `sys_journal_field` denied entirely: lists answer 200 `{"result":[]}`. */
  journalDenied?: boolean;
}

export interface FaultInjector {
  /** Queue a fault for the next matching requests (times default 1). */
  inject(fault: Fault, options?: { times?: number; match?: FaultMatcher }): void;
  /** Random faults with a probability in [0,1] (deterministic PRNG from the simulator seed). */
  rate(fault: Fault, probability: number, options?: { match?: FaultMatcher }): void;
  /** Rows hidden AFTER limit -> short pages with a next link. */
  setAcl(options: AclOptions | undefined): void;
  clear(): void;
}

/** What the server asks of the injector. */
export interface FaultSource extends FaultInjector {
  /** Faults to apply to this request, in order (latency first, then at most one terminal fault). */
  next(req: FaultRequest): Fault[];
  /** True when an ACL hides this row from the caller. */
  hidden(table: string, sysId: string): boolean;
  journalDenied(): boolean;
}

/** mulberry32: tiny deterministic PRNG, good enough for fault dice. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a of a sys_id mapped to [0,1): the same row is hidden on every request. */
function unitHash(value: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) {
    h ^= value.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) / 4294967296;
}

interface Queued {
  fault: Fault;
  remaining: number;
  match: FaultMatcher | undefined;
}

interface Rated {
  fault: Fault;
  probability: number;
  match: FaultMatcher | undefined;
}

export function createFaultInjector(seed: number): FaultSource {
  const random = prng(seed);
  let queue: Queued[] = [];
  let rated: Rated[] = [];
  let acl: AclOptions | undefined;

  return {
    inject(fault, options) {
      queue.push({ fault, remaining: options?.times ?? 1, match: options?.match });
    },
    rate(fault, probability, options) {
      rated.push({ fault, probability, match: options?.match });
    },
    setAcl(options) {
      acl = options;
    },
    clear() {
      queue = [];
      rated = [];
      acl = undefined;
    },
    next(req) {
      const faults: Fault[] = [];
      const queued = queue.find((q) => q.remaining > 0 && (q.match ? q.match(req) : true));
      if (queued) {
        queued.remaining -= 1;
        if (queued.remaining <= 0) queue = queue.filter((q) => q !== queued);
        faults.push(queued.fault);
      }
      for (const r of rated) {
        if ((r.match ? r.match(req) : true) && random() < r.probability) faults.push(r.fault);
      }
      // Latency composes with anything; only the first terminal fault answers the request.
      const latency = faults.filter((f) => f.kind === 'latency');
      const terminal = faults.find((f) => f.kind !== 'latency');
      return terminal ? [...latency, terminal] : latency;
    },
    hidden(table, sysId) {
      if (!acl || acl.hideFraction <= 0) return false;
      if (acl.tables && !acl.tables.includes(table)) return false;
      return unitHash(sysId) < acl.hideFraction;
    },
    journalDenied() {
      return acl?.journalDenied === true;
    },
  };
}
