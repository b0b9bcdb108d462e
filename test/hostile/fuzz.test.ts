import { connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANY_HUB_PREFIX, HUB_PREFIX, ROUTES, type RouteDefinition } from '../../functions/routes';
import { type FuzzWorld, startFuzzWorld } from './fuzz-world';

/**
 * Random and mutated requests against every route of functions/routes.ts, over HTTP in local mode:
 * bodies (JSON, multipart, CSV, bytes), Authorization variants (valid, other kind, malformed, none),
 * content types and query strings. Invariants: no 5xx, the server keeps answering /ping, and a 4xx
 * wrote nothing (state table, secrets, blobs, queues, ServiceNow).
 *
 * Seeded and bounded: FUZZ_SEED and FUZZ_RUNS (runs per route) widen a run by hand.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 1405);
const RUNS_PER_ROUTE = Number(process.env.FUZZ_RUNS ?? 20);

/** Answers that are deliberate, not faults: presigned uploads need S3 (local mode says so with 501). */
const DELIBERATE_5XX = new Set(
  ['', HUB_PREFIX, ANY_HUB_PREFIX].map((prefix) => `POST ${prefix}/bulk/{id}/uploads 501`),
);

const printable = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
});

const INTERESTING = [
  '',
  ' ',
  '0',
  '-1',
  '1e400',
  'NaN',
  'true',
  'null',
  '__proto__',
  'constructor',
  '..',
  '%00',
  '\u0000',
  "' OR 1=1 --",
  'a = 1',
  "priority <= 2 AND (state = 1 OR state = 2) AND short_description LIKE '%VPN%'",
  "short_description = 'x^ORDERBYsys_id'",
  'javascript:alert(1)',
  "number IN ('INC0000001', 'INC0000002')",
  'select * from incidents',
  'select number from incidents where priority = 1 order by number',
  "select * from incidents where short_description = 'unterminated",
  'sys_updated_on desc',
  'number,short_description',
  'x'.repeat(9000),
  '('.repeat(500),
  '{"a":1}',
  '[]',
  'text/csv',
  'application/json',
  'https://169.254.169.254/',
  'http://127.0.0.1:9/x',
  '2026-01-01T00:00:00Z',
  '9999999999999999999999',
  '%',
  '%E0%A4%A',
  '%ZZ',
  Buffer.from('{"v":1,"i":1,"s":null,"c":"e30"}').toString('base64url'),
  Buffer.from(`${'['.repeat(2000)}${']'.repeat(2000)}`).toString('base64url'),
  `${Buffer.from('{"k":"x"}').toString('base64url')}.${'A'.repeat(43)}`,
];
const fuzzText = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...INTERESTING) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
);

const QUERY_KEYS = [
  'where',
  'orderBy',
  'fields',
  'pageSize',
  'page',
  'nextPage',
  'returnTotalCount',
  'displayValues',
  'q',
  'format',
  'from',
  'to',
  'lastRunDate',
  'partitions',
  'tags[]',
  'status',
  'apiKey',
  'apiSecret',
  'callbackUrl',
  'servicenow.subdomain',
  'state',
];

type BodyKind = 'none' | 'json' | 'template' | 'truncated' | 'deep' | 'multipart' | 'csv' | 'bytes';

interface FuzzRequest {
  method: string;
  auth: 'valid' | 'other' | 'none' | 'garbage';
  garbageAuth: string;
  params: Record<string, string>;
  query: [string, string][];
  bodyKind: BodyKind;
  json: unknown;
  cut: number;
  bytes: Uint8Array;
  contentType: string | undefined;
  /** Path and query values put in as they are (invalid percent-escapes included), not encoded. */
  rawEncoding: boolean;
}

/** Bodies a route takes, so mutations of them reach the handlers' validation rather than stopping early. */
const templateFor = (route: RouteDefinition, world: FuzzWorld): unknown => {
  const path = route.path;
  if (path.startsWith('/instances') && (route.method === 'POST' || route.method === 'PUT'))
    return {
      element: { key: 'servicenow' },
      name: 'fuzz',
      configuration: { username: 'admin', password: 'admin', 'servicenow.subdomain': world.sim.url },
    };
  if (path.includes('/configuration/')) return { propertyValue: 'true' };
  if (path === '/instances/{id}')
    return { name: 'renamed', tags: ['a'], configuration: { 'filter.response.nulls': false } };
  if (path.includes('/definitions')) return { fields: [{ path: 'title', type: 'string' }] };
  if (path.includes('/transformations/'))
    return {
      vendorName: 'incident',
      fields: [{ path: 'title', type: 'string', vendorPath: 'short_description' }],
    };
  if (path.endsWith('/bulk/download'))
    return { objectName: 'incidents', format: 'text/csv', where: 'priority = 1' };
  if (path.endsWith('/uploads')) return { format: 'text/csv' };
  if (path.endsWith('/comments')) return { comments: 'hello' };
  if (path.endsWith('/work-notes')) return { work_notes: 'hello' };
  if (path.startsWith('/organizations/objects/{objectName}') && route.method === 'PATCH')
    return { objectName: 'tickets2' };
  return { short_description: 'fuzzed', urgency: '2' };
};

/** Replaces, drops or adds one value somewhere in a JSON value. */
const mutate = (value: unknown, pick: number, replacement: unknown): unknown => {
  if (typeof value !== 'object' || value === null) return replacement;
  const entries = Object.entries(value);
  if (entries.length === 0) return Array.isArray(value) ? [replacement] : { [String(pick)]: replacement };
  const index = pick % (entries.length + 1);
  const copy: Record<string, unknown> = Array.isArray(value) ? { ...value } : { ...value };
  if (index === entries.length) copy[`extra${pick}`] = replacement;
  else {
    const [key, inner] = entries[index] as [string, unknown];
    if (pick % 3 === 0) delete copy[key];
    else copy[key] = mutate(inner, Math.floor(pick / 3), replacement);
  }
  return Array.isArray(value) ? Object.values(copy) : copy;
};

/** A value of a path parameter that names something that exists, so requests get past the lookup. */
const paramValue = (route: RouteDefinition, name: string, world: FuzzWorld): string => {
  const bulk = route.path.includes('/bulk/');
  switch (name) {
    case 'id':
      // POST /bulk/{id} and /bulk/{id}/uploads name the object to upload to; the others a job.
      if (bulk) return route.method === 'POST' ? 'incidents' : world.jobId;
      if (route.auth === 'hub') return world.incidentId;
      return String(world.instanceId);
    case 'keyOrId':
      return 'servicenow';
    case 'configId':
      return 'event.notification.callback.url';
    case 'objectName':
      return route.auth === 'hub' ? 'incidents' : 'tickets';
    case 'attachmentId':
      return world.attachmentId;
    case 'eventId':
      return 'e1';
    case 'accountId':
      return 'alice';
    default:
      return 'x';
  }
};

const BODY_KINDS: readonly BodyKind[] = [
  'none',
  'json',
  'template',
  'template',
  'truncated',
  'deep',
  'multipart',
  'csv',
  'bytes',
];
/** Routes that read multipart bodies (uploads, attachments, bulk/query's form) get many more of them. */
const bodyKindsFor = (route: RouteDefinition): readonly BodyKind[] =>
  route.method === 'POST' && /\/attachments$|\/bulk\/\{id\}$|\/bulk\/query$/.test(route.path)
    ? [...BODY_KINDS, 'multipart', 'multipart', 'multipart', 'multipart']
    : BODY_KINDS;

const requestArb = (route: RouteDefinition): fc.Arbitrary<FuzzRequest> => {
  const names = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
  return fc.record({
    method: fc.oneof(
      { weight: 9, arbitrary: fc.constant(route.method) },
      { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE') },
    ),
    auth: fc.oneof(
      { weight: 8, arbitrary: fc.constant('valid' as const) },
      { weight: 1, arbitrary: fc.constantFrom('other' as const, 'none' as const, 'garbage' as const) },
    ),
    garbageAuth: fc.oneof(
      fc.constantFrom(
        'User',
        'User , Element ',
        'Basic YWRtaW46YWRtaW4=',
        'Bearer x',
        'User x, Organization y',
        'User a, User b, Element c',
        `User ${'a'.repeat(5000)}, Element b`,
        'user,element,organization',
      ),
      printable,
    ),
    params: fc.record(
      Object.fromEntries(
        names.map((name) => [
          name,
          fc.oneof(
            { weight: 4, arbitrary: fc.constant('\u0001valid') },
            { weight: 1, arbitrary: fuzzText.filter((text) => text !== '' && text !== '.' && text !== '..') },
          ),
        ]),
      ),
    ),
    query: fc.array(fc.tuple(fc.constantFrom(...QUERY_KEYS), fuzzText), { maxLength: 4 }),
    bodyKind: fc.constantFrom<BodyKind>(...bodyKindsFor(route)),
    json: fc.jsonValue({ maxDepth: 3 }),
    // Unbiased: cuts anywhere in a body, not mostly near its start.
    cut: fc.noBias(fc.nat()),
    bytes: fc.uint8Array({ maxLength: 300 }),
    rawEncoding: fc.boolean(),
    contentType: fc.oneof(
      { weight: 6, arbitrary: fc.constant(undefined) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          'application/json',
          'text/csv',
          'multipart/form-data',
          'multipart/form-data; boundary=',
          'application/x-www-form-urlencoded',
          'application/merge-patch+json',
          'text/plain; charset=utf-16',
          'application/octet-stream',
        ),
      },
      { weight: 1, arbitrary: printable },
    ),
  });
};

interface Built {
  path: string;
  init: RequestInit & { headers: Record<string, string> };
}

const BOUNDARY = 'fuzzBoundary7d1';

/** A value as it is, minus what would end its URL component (the URL parser encodes the rest). */
const asRaw = (value: string) =>
  [...value].filter((char) => char.charCodeAt(0) >= 0x20 && !'/?#&'.includes(char)).join('') || 'x';

const build = (route: RouteDefinition, r: FuzzRequest, world: FuzzWorld): Built => {
  let path = route.path;
  for (const [name, value] of Object.entries(r.params)) {
    const real = value === '\u0001valid' ? paramValue(route, name, world) : value;
    path = path.replace(`{${name}}`, r.rawEncoding ? asRaw(real) : encodeURIComponent(real));
  }
  const query = r.rawEncoding
    ? r.query.map(([key, value]) => `${key}=${asRaw(value)}`).join('&')
    : new URLSearchParams(r.query).toString();
  const headers: Record<string, string> = {};
  const otherAuth = route.auth === 'hub' ? world.platformAuth : world.hubAuth();
  if (r.auth === 'valid') headers.Authorization = route.auth === 'hub' ? world.hubAuth() : world.platformAuth;
  else if (r.auth === 'other') headers.Authorization = otherAuth;
  else if (r.auth === 'garbage') headers.Authorization = r.garbageAuth;
  let body: string | Uint8Array | undefined;
  let contentType: string | undefined;
  const template = templateFor(route, world);
  switch (r.bodyKind) {
    case 'none':
      break;
    case 'json':
      body = JSON.stringify(r.json);
      contentType = 'application/json';
      break;
    case 'template':
      // One in four as the route expects it, so requests also get all the way through.
      body = JSON.stringify(r.cut % 4 === 0 ? template : mutate(template, r.cut, r.json));
      contentType = 'application/json';
      break;
    case 'truncated': {
      const text = JSON.stringify(template);
      body = text.slice(0, r.cut % text.length);
      contentType = 'application/json';
      break;
    }
    case 'deep': {
      const depths = [64, 65, 1_000, 10_000];
      const depth = depths[r.cut % depths.length] as number;
      body = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
      contentType = 'application/json';
      break;
    }
    case 'multipart': {
      const file = `short_description,urgency\n${JSON.stringify(r.json)},2\n`;
      const whole =
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="metaData"\r\n\r\n${JSON.stringify(r.json)}\r\n` +
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="rows.csv"\r\n` +
        `Content-Type: text/csv\r\n\r\n${file}\r\n--${BOUNDARY}--\r\n`;
      // Whole, cut anywhere, or cut inside the file's content.
      const fileStart = whole.indexOf(file);
      body = [whole, whole.slice(0, r.cut % whole.length), whole.slice(0, fileStart + (r.cut % file.length))][
        r.cut % 3
      ];
      contentType = `multipart/form-data; boundary=${BOUNDARY}`;
      break;
    }
    case 'csv':
      body = `short_description,urgency\n${JSON.stringify(r.json)},${r.cut}\n"unterminated,`;
      contentType = 'text/csv';
      break;
    case 'bytes':
      body = r.bytes;
      contentType = 'application/octet-stream';
      break;
  }
  if (r.contentType !== undefined) contentType = r.contentType;
  if (contentType !== undefined && body !== undefined) headers['Content-Type'] = contentType;
  const method = r.method;
  const sendsBody = body !== undefined && method !== 'GET' && method !== 'HEAD';
  return {
    path: `${path}${query === '' ? '' : `?${query}`}`,
    init: { method, headers, redirect: 'manual', ...(sendsBody ? { body } : {}) },
  };
};

/** Routes whose success changes the fixtures the next requests address. */
const mayBreakFixtures = (route: RouteDefinition) =>
  route.path.startsWith('/instances/{id}') || route.path.includes('/{objectName}/{id}');

describe('fuzzing the HTTP surface', () => {
  let world: FuzzWorld;
  const counts = new Map<string, number>();
  const statuses = new Map<number, number>();
  beforeAll(async () => {
    world = await startFuzzWorld();
  });
  afterAll(async () => {
    const total = [...counts.values()].reduce((sum, n) => sum + n, 0);
    const perRoute = [...counts.values()];
    console.info(
      `fuzz: ${total} requests over ${counts.size} routes (${Math.min(...perRoute)}-${Math.max(...perRoute)} per route), seed ${SEED}; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}`,
    );
    await world?.close();
  });

  it(
    'answers no 5xx, keeps serving, and a 4xx writes nothing',
    async () => {
      const problems: string[] = [];
      for (const [index, route] of ROUTES.entries()) {
        const key = `${route.method} ${route.path}`;
        await fc.assert(
          fc.asyncProperty(requestArb(route), async (r) => {
            const { path, init } = build(route, r, world);
            const before = world.writes();
            const res = await fetch(`${world.api}${path}`, init);
            const text = await res.text();
            counts.set(key, (counts.get(key) ?? 0) + 1);
            statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
            const where = `${init.method} ${path.slice(0, 200)} (${route.method} ${route.path}) -> ${res.status} ${text.slice(0, 300)}`;
            if (res.status >= 500 && !DELIBERATE_5XX.has(`${key} ${res.status}`)) {
              problems.push(`5xx: ${where}`);
            } else if (res.status >= 400 && world.writes() !== before) {
              problems.push(`4xx with writes: ${where}: ${world.lastWrites().slice(-3).join('; ')}`);
            }
            if (res.status < 300 && mayBreakFixtures(route)) await world.repair();
          }),
          { seed: SEED + index, numRuns: RUNS_PER_ROUTE, endOnFailure: true },
        );
        const ping = await fetch(`${world.api}/ping`);
        expect(ping.status, `after ${key}`).toBe(200);
      }
      expect(problems).toEqual([]);
      // Deeper runs by hand (FUZZ_RUNS) get the time they need.
    },
    30_000 + RUNS_PER_ROUTE * ROUTES.length * 40,
  );

  it('survives lying and broken framing (lengths, chunks, aborts), writing nothing', async () => {
    const { hostname, port } = new URL(world.api);
    const base = new URL(world.api).pathname;
    /** Writes raw bytes, optionally hangs up early, and answers what came back (maybe nothing). */
    const rawExchange = (payload: string, hangUp: boolean) =>
      new Promise<string>((resolve) => {
        const socket = connect(Number(port), hostname);
        let received = '';
        socket.on('data', (chunk) => {
          received += chunk.toString('latin1');
        });
        socket.on('error', () => undefined);
        socket.on('close', () => resolve(received));
        socket.write(payload, () => {
          if (hangUp) socket.destroy();
          else socket.end();
        });
        setTimeout(() => socket.destroy(), 2_000);
      });
    const head = (path: string, headers: string[]) =>
      [
        `POST ${base}${path} HTTP/1.1`,
        `Host: ${hostname}`,
        `Authorization: ${world.hubAuth()}`,
        ...headers,
        '',
        '',
      ].join('\r\n');
    const multipart = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\nshort_description\nx\n`;
    const cases: [string, string, boolean][] = [
      [
        'Content-Length longer than the body, then a hang-up',
        `${head('/bulk/incidents', [`Content-Type: multipart/form-data; boundary=${BOUNDARY}`, 'Content-Length: 5000'])}${multipart}`,
        true,
      ],
      [
        'Content-Length shorter than the body',
        `${head('/incidents', ['Content-Type: application/json', 'Content-Length: 5'])}{"short_description":"x"}`,
        false,
      ],
      [
        'Content-Length not a number',
        `${head('/incidents', ['Content-Type: application/json', 'Content-Length: abc'])}{}`,
        false,
      ],
      [
        'Content-Length and Transfer-Encoding both',
        `${head('/incidents', ['Content-Type: application/json', 'Content-Length: 2', 'Transfer-Encoding: chunked'])}2\r\n{}\r\n0\r\n\r\n`,
        false,
      ],
      [
        'a chunk size that is not hex',
        `${head('/incidents', ['Content-Type: application/json', 'Transfer-Encoding: chunked'])}zz\r\n{}\r\n0\r\n\r\n`,
        false,
      ],
      [
        'chunked multipart cut inside the file, then a hang-up',
        `${head(`/incidents/${world.incidentId}/attachments`, [`Content-Type: multipart/form-data; boundary=${BOUNDARY}`, 'Transfer-Encoding: chunked'])}${multipart.length.toString(16)}\r\n${multipart}\r\n`,
        true,
      ],
      [
        'a header line without a colon',
        `${head('/incidents', ['Content-Type application/json', 'Content-Length: 2'])}{}`,
        false,
      ],
    ];
    for (const [name, payload, hangUp] of cases) {
      const before = world.writes();
      const answer = await rawExchange(payload, hangUp);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
      expect(status < 500, `${name}: ${answer.slice(0, 200)}`).toBe(true);
      const ping = await fetch(`${world.api}/ping`);
      expect(ping.status, name).toBe(200);
      expect(world.writes(), name).toBe(before);
    }
  });
});
