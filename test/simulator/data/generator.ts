import { formatDateTime } from '../store/clock';
import type { SimDatabaseStore, SimRecord } from '../store/types';
import { Random } from './random';
import { INCIDENT_CATEGORIES, INCIDENT_STATES } from './schema';
import {
  CHANGE_PLANS,
  CITIES,
  CLOSE_NOTES,
  COMMENTS,
  COMPANY_NAMES,
  DEPARTMENTS,
  DESCRIPTIONS,
  FIRST_NAMES,
  GROUP_NAMES,
  LAST_NAMES,
  ROLES,
  SHORT_DESCRIPTIONS,
  TITLES,
  WORK_NOTES,
} from './text';

export interface SeedOptions {
  /** PRNG seed (default 1): same seed, same data. */
  seed?: number;
  incidents?: number;
  problems?: number;
  changes?: number;
  users?: number;
  groups?: number;
  companies?: number;
  /** Fraction of incidents carrying comments / work notes (default 0.1). */
  journalFraction?: number;
  /** How far back records go, in days (default 730). */
  spanDays?: number;
}

/** Sizes used by `npm start` and by tests that do not say otherwise. */
export const DEMO_DATA = {
  incidents: 200,
  problems: 50,
  changes: 50,
  users: 100,
  groups: 20,
  companies: 10,
} as const;

export interface SeedSummary {
  companies: string[];
  users: string[];
  groups: string[];
  incidents: number;
  problems: number;
  changes: number;
  journalEntries: number;
}

const DAY = 86_400_000;

/** impact x urgency -> priority, the stock data lookup rule. */
function priorityOf(impact: string, urgency: string): string {
  return String(Math.min(5, Number(impact) + Number(urgency) - 1));
}

/**
 * Timestamps over the past `spanDays`, in order, in bursts: many consecutive records share one second
 * (ties on sys_updated_on are what keyset paging must survive). Each burst's formatted
 * string is shared by its records.
 */
function* timeline(random: Random, count: number, end: number, spanDays: number): Generator<string> {
  const start = end - spanDays * DAY;
  const mean = (end - start) / Math.max(1, count);
  let t = start;
  let left = count;
  while (left > 0) {
    const burst = Math.min(
      left,
      random.weighted([
        [1, 60],
        [random.int(2, 5), 25],
        [random.int(10, 60), 15],
      ] as const),
    );
    const at = formatDateTime(Math.min(end, Math.floor(t / 1000) * 1000));
    for (let i = 0; i < burst; i++) yield at;
    left -= burst;
    t += mean * burst * random.next() * 2;
  }
}

/** A later update time, or the creation time; some updates land on shared "mass update" seconds. */
function updatedAfter(random: Random, created: string, end: number, massUpdates: string[]): string {
  const r = random.next();
  if (r < 0.6) return created;
  if (r < 0.7) {
    const mass = random.pick(massUpdates);
    return mass > created ? mass : created;
  }
  const from = Date.parse(`${created.replace(' ', 'T')}Z`);
  return formatDateTime(Math.min(end, from + Math.floor(random.next() * 30 * DAY)));
}

/**
 * Fills the database with deterministic, realistic data: companies, users (with roles and group
 * memberships), groups, problems, changes and incidents referencing them, with journal entries on some
 * incidents. Uses the trusted `load` path, so a million incidents take seconds, not minutes.
 */
export function seedData(db: SimDatabaseStore, options: SeedOptions = {}): SeedSummary {
  const random = new Random(options.seed ?? 1);
  const end = Math.floor(db.clock.now().getTime() / 1000) * 1000;
  const spanDays = options.spanDays ?? 730;
  const n = {
    incidents: options.incidents ?? DEMO_DATA.incidents,
    problems: options.problems ?? DEMO_DATA.problems,
    changes: options.changes ?? DEMO_DATA.changes,
    users: options.users ?? DEMO_DATA.users,
    groups: options.groups ?? DEMO_DATA.groups,
    companies: options.companies ?? DEMO_DATA.companies,
  };
  const journalFraction = options.journalFraction ?? 0.1;
  const setupAt = formatDateTime(end - (spanDays + 30) * DAY);
  const system = {
    sys_created_on: setupAt,
    sys_updated_on: setupAt,
    sys_created_by: 'admin',
    sys_updated_by: 'admin',
  };
  const massUpdates = Array.from({ length: 50 }, () => formatDateTime(end - random.int(0, spanDays) * DAY));

  const companies: string[] = [];
  for (let i = 0; i < n.companies; i++) {
    const [city, country] = random.pick(CITIES);
    const base = COMPANY_NAMES[i % COMPANY_NAMES.length]!;
    const name = i < COMPANY_NAMES.length ? base : `${base} ${Math.floor(i / COMPANY_NAMES.length) + 1}`;
    companies.push(
      db.load('core_company', {
        ...system,
        sys_id: random.sysId(),
        name,
        city,
        country,
        phone: `+1 555 ${String(random.int(1000, 9999))}`,
        website: `https://www.${name.toLowerCase().replace(/[^a-z0-9]+/g, '')}.example.com`,
        customer: String(random.chance(0.7)),
        vendor: String(random.chance(0.2)),
      }),
    );
  }

  const roles = ROLES.map((name) =>
    db.load('sys_user_role', { ...system, sys_id: random.sysId(), name, description: `${name} role` }),
  );

  const users: string[] = [];
  const userNames: string[] = [];
  for (let i = 0; i < n.users; i++) {
    const first = random.pick(FIRST_NAMES);
    const last = random.pick(LAST_NAMES);
    const userName = `${first.toLowerCase()}.${last.toLowerCase()}${i}`;
    const userRoles = i % 10 === 0 ? ['itil', 'itil_admin'] : random.chance(0.5) ? ['itil'] : [];
    const id = db.load('sys_user', {
      ...system,
      sys_id: random.sysId(),
      user_name: userName,
      first_name: first,
      last_name: last,
      name: `${first} ${last}`,
      email: `${userName}@example.com`,
      phone: `+1 555 ${String(random.int(1000, 9999))}`,
      title: random.pick(TITLES),
      department: random.pick(DEPARTMENTS),
      company: companies.length ? random.pick(companies) : '',
      manager: users.length && random.chance(0.8) ? random.pick(users) : '',
      active: String(random.chance(0.95)),
      roles: userRoles.join(','),
    });
    users.push(id);
    userNames.push(userName);
    for (const role of userRoles) {
      db.load('sys_user_has_role', {
        ...system,
        sys_id: random.sysId(),
        user: id,
        role: roles[ROLES.indexOf(role)] ?? '',
        state: 'active',
      });
    }
  }

  const groups: string[] = [];
  for (let i = 0; i < n.groups; i++) {
    const base = GROUP_NAMES[i % GROUP_NAMES.length]!;
    const name = i < GROUP_NAMES.length ? base : `${base} ${Math.floor(i / GROUP_NAMES.length) + 1}`;
    groups.push(
      db.load('sys_user_group', {
        ...system,
        sys_id: random.sysId(),
        name,
        description: `${name} support group`,
        manager: users.length ? random.pick(users) : '',
        email: `${name.toLowerCase().replace(/[^a-z0-9]+/g, '.')}@example.com`,
      }),
    );
  }
  for (const [i, user] of users.entries()) {
    if (!groups.length) break;
    const memberships = i % 3 === 0 ? 2 : 1;
    for (let k = 0; k < memberships; k++) {
      db.load('sys_user_grmember', { ...system, sys_id: random.sysId(), user, group: random.pick(groups) });
    }
  }

  const person = (p: number): string => (users.length && random.chance(p) ? random.pick(users) : '');
  const group = (p: number): string => (groups.length && random.chance(p) ? random.pick(groups) : '');
  const company = (): string => (companies.length ? random.pick(companies) : '');

  const problems: string[] = [];
  for (const created of timeline(random, n.problems, end, spanDays)) {
    const state = random.weighted([
      ['101', 2],
      ['102', 2],
      ['103', 2],
      ['104', 2],
      ['106', 1],
      ['107', 3],
    ] as const);
    const impact = String(random.int(1, 3));
    const urgency = String(random.int(1, 3));
    const updated = updatedAfter(random, created, end, massUpdates);
    problems.push(
      db.load('problem', {
        sys_id: random.sysId(),
        sys_created_on: created,
        sys_updated_on: updated,
        sys_created_by: 'admin',
        sys_updated_by: 'admin',
        sys_mod_count: updated === created ? '0' : String(random.int(1, 8)),
        short_description: random.pick(SHORT_DESCRIPTIONS),
        description: random.pick(DESCRIPTIONS),
        state,
        active: String(state !== '107'),
        impact,
        urgency,
        priority: priorityOf(impact, urgency),
        opened_at: created,
        opened_by: person(1),
        assigned_to: person(0.8),
        assignment_group: group(0.9),
        company: company(),
        known_error: String(random.chance(0.2)),
        category: random.pick(INCIDENT_CATEGORIES)[0],
        closed_at: state === '107' ? updated : '',
      }),
    );
  }

  let changes = 0;
  for (const created of timeline(random, n.changes, end, spanDays)) {
    const state = random.weighted([
      ['-5', 2],
      ['-4', 1],
      ['-3', 1],
      ['-2', 2],
      ['-1', 1],
      ['0', 1],
      ['3', 4],
      ['4', 1],
    ] as const);
    const start = Date.parse(`${created.replace(' ', 'T')}Z`) + random.int(1, 14) * DAY;
    const updated = updatedAfter(random, created, end, massUpdates);
    db.load('change_request', {
      sys_id: random.sysId(),
      sys_created_on: created,
      sys_updated_on: updated,
      sys_created_by: 'admin',
      sys_updated_by: 'admin',
      sys_mod_count: updated === created ? '0' : String(random.int(1, 8)),
      short_description: random.pick(CHANGE_PLANS),
      description: random.pick(DESCRIPTIONS),
      state,
      active: String(state !== '3' && state !== '4'),
      type: random.weighted([
        ['standard', 3],
        ['normal', 6],
        ['emergency', 1],
      ] as const),
      risk: String(random.int(1, 4)),
      category: random.pick(['hardware', 'software', 'network', 'other'] as const),
      requested_by: person(1),
      assigned_to: person(0.8),
      assignment_group: group(0.9),
      company: company(),
      opened_at: created,
      opened_by: person(1),
      start_date: formatDateTime(start),
      end_date: formatDateTime(start + random.int(1, 8) * 3_600_000),
      implementation_plan: random.pick(CHANGE_PLANS),
      backout_plan: 'Roll back to the previous version.',
      closed_at: state === '3' ? updated : '',
    });
    changes++;
  }

  let incidents = 0;
  let journalEntries = 0;
  const states = INCIDENT_STATES.map(([v]) => v);
  const weights = [3, 3, 1, 2, 6, 1];
  const stateWeights = states.map((s, i) => [s, weights[i]!] as const);
  for (const created of timeline(random, n.incidents, end, spanDays)) {
    const state = random.weighted(stateWeights);
    const impact = String(random.int(1, 3));
    const urgency = String(random.int(1, 3));
    const updated = updatedAfter(random, created, end, massUpdates);
    const resolved = state === '6' || state === '7';
    const caller = person(0.98);
    const values: SimRecord = {
      sys_id: random.sysId(),
      sys_created_on: created,
      sys_updated_on: updated,
      sys_created_by: 'admin',
      sys_updated_by:
        updated === created ? 'admin' : (userNames[random.int(0, userNames.length - 1)] ?? 'admin'),
      sys_mod_count: updated === created ? '0' : String(random.int(1, 12)),
      short_description: random.pick(SHORT_DESCRIPTIONS),
      description: random.chance(0.7) ? random.pick(DESCRIPTIONS) : '',
      state,
      active: String(!resolved && state !== '8'),
      impact,
      urgency,
      priority: priorityOf(impact, urgency),
      category: random.pick(INCIDENT_CATEGORIES)[0],
      contact_type: random.pick(['email', 'phone', 'self-service', 'walk-in'] as const),
      caller_id: caller,
      opened_by: caller,
      opened_at: created,
      assigned_to: state === '1' ? '' : person(0.9),
      assignment_group: group(0.95),
      company: company(),
      problem_id: problems.length && random.chance(0.05) ? random.pick(problems) : '',
      resolved_at: resolved ? updated : '',
      closed_at: state === '7' ? updated : '',
      close_code: resolved ? 'Solved (Permanently)' : '',
      close_notes: resolved ? random.pick(CLOSE_NOTES) : '',
    };
    const id = db.load('incident', values);
    incidents++;
    if (random.chance(journalFraction)) {
      const entries = random.int(1, 3);
      for (let k = 0; k < entries; k++) {
        const work = random.chance(0.5);
        const at = k === 0 ? created : updated;
        db.load('sys_journal_field', {
          sys_id: random.sysId(),
          sys_created_on: at,
          sys_updated_on: at,
          sys_created_by: userNames.length ? random.pick(userNames) : 'admin',
          sys_updated_by: 'admin',
          element: work ? 'work_notes' : 'comments',
          element_id: id,
          name: 'incident',
          value: random.pick(work ? WORK_NOTES : COMMENTS),
        });
        journalEntries++;
      }
    }
  }
  db.settle();
  return { companies, users, groups, incidents, problems: problems.length, changes, journalEntries };
}
