import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimulatorHandle, startSimulator } from '../index';
import { api, createIncidents, type ListBody, links, type OneBody, type Row } from './helpers';

describe('simulator Table API', () => {
  let sim: SimulatorHandle;
  let ids: string[];

  beforeAll(async () => {
    sim = await startSimulator({ data: false });
    ids = await createIncidents(sim, 25, { priority: '3' });
  });
  afterAll(() => sim.close());

  describe('paging', () => {
    it('answers a page with X-Total-Count and first/prev/next/last links repeating every parameter', async () => {
      const res = await api<ListBody>(
        sim,
        '/api/now/table/incident?sysparm_query=priority%3D3%5EORDERBYnumber&sysparm_fields=sys_id&sysparm_limit=10&sysparm_offset=10',
      );
      expect(res.status).toBe(200);
      expect(res.body.result).toHaveLength(10);
      expect(res.headers.get('x-total-count')).toBe('25');
      const header = res.headers.get('link') ?? '';
      expect(header).not.toMatch(/> ;rel/);
      expect(header).not.toMatch(/, </);
      const rel = links(header);
      expect(Object.keys(rel)).toEqual(['first', 'prev', 'next', 'last']);
      expect(rel.first?.origin).toBe(sim.url);
      expect(rel.first?.pathname).toBe('/api/now/table/incident');
      for (const url of Object.values(rel)) {
        expect(url.searchParams.get('sysparm_query')).toBe('priority=3^ORDERBYnumber');
        expect(url.searchParams.get('sysparm_fields')).toBe('sys_id');
        expect(url.searchParams.get('sysparm_limit')).toBe('10');
      }
      expect(rel.first?.searchParams.get('sysparm_offset')).toBe('0');
      expect(rel.prev?.searchParams.get('sysparm_offset')).toBe('0');
      expect(rel.next?.searchParams.get('sysparm_offset')).toBe('20');
      expect(rel.last?.searchParams.get('sysparm_offset')).toBe('20');
    });

    it('follows next links over every row exactly once', async () => {
      const seen: string[] = [];
      let url: string | undefined =
        '/api/now/table/incident?sysparm_query=ORDERBYsys_created_on&sysparm_limit=7';
      let pages = 0;
      while (url) {
        const res: Awaited<ReturnType<typeof api<ListBody>>> = await api<ListBody>(sim, url);
        seen.push(...res.body.result.map((r) => String(r.sys_id)));
        const next = links(res.headers.get('link')).next;
        url = next ? `${next.pathname}${next.search}` : undefined;
        pages += 1;
      }
      expect(pages).toBe(4);
      expect(new Set(seen)).toEqual(new Set(ids));
      expect(seen).toHaveLength(25);
    });

    it('omits the last page link without a count, and the count header with sysparm_no_count', async () => {
      const res = await api<ListBody>(sim, '/api/now/table/incident?sysparm_limit=10&sysparm_no_count=true');
      expect(res.headers.get('x-total-count')).toBeNull();
      expect(Object.keys(links(res.headers.get('link')))).toEqual(['first', 'next']);
    });

    it('removes the Link header with sysparm_suppress_pagination_header', async () => {
      const res = await api<ListBody>(
        sim,
        '/api/now/table/incident?sysparm_limit=10&sysparm_suppress_pagination_header=true',
      );
      expect(res.headers.get('link')).toBeNull();
      expect(res.headers.get('x-total-count')).toBe('25');
    });

    it('emits first/last on a single page by default', async () => {
      const res = await api<ListBody>(sim, '/api/now/table/incident?sysparm_limit=100');
      expect(Object.keys(links(res.headers.get('link')))).toEqual(['first', 'last']);
    });

    it('applies the 10000 default limit and rejects a limit that is not a positive integer', async () => {
      const all = await api<ListBody>(sim, '/api/now/table/incident');
      expect(all.body.result).toHaveLength(25);
      expect(links(all.headers.get('link')).last?.searchParams.get('sysparm_limit')).toBe('10000');
      for (const limit of ['0', '-5', 'abc', '1.5']) {
        const res = await api(sim, `/api/now/table/incident?sysparm_limit=${limit}`);
        expect(res.status).toBe(400);
        expect(res.body).toEqual({
          error: {
            message: 'Invalid value given for sysparm_limit',
            detail: 'sysparm_limit value must be a positive integer',
          },
          status: 'failure',
        });
      }
    });

    it('answers an empty query with 404 on v1 and an empty array on v2 and unversioned paths', async () => {
      const query = 'sysparm_query=short_description%3Dnothing%20like%20this';
      const v1 = await api(sim, `/api/now/v1/table/incident?${query}`);
      expect(v1.status).toBe(404);
      expect(v1.body).toEqual({
        error: {
          message: 'No Record found',
          detail: "Record doesn't exist or ACL restricts the record retrieval",
        },
        status: 'failure',
      });
      for (const path of ['/api/now/v2/table/incident', '/api/now/table/incident']) {
        const res = await api(sim, `${path}?${query}`);
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ result: [] });
      }
      const found = await api<ListBody>(sim, '/api/now/v1/table/incident?sysparm_limit=1');
      expect(found.status).toBe(200);
      expect(found.body.result).toHaveLength(1);
    });

    it('treats name-value pairs as filters', async () => {
      const res = await api<ListBody>(sim, '/api/now/table/incident?short_description=incident%203');
      expect(res.body.result.map((r) => r.short_description)).toEqual(['incident 3']);
    });
  });

  describe('errors', () => {
    it('rejects an unknown table with 400 and a null detail', async () => {
      const res = await api(sim, '/api/now/table/u_no_such_table');
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        error: { message: 'Invalid table u_no_such_table', detail: null },
        status: 'failure',
      });
    });

    it('answers a missing record with the 404 envelope', async () => {
      const res = await api(sim, '/api/now/table/incident/0123456789abcdef0123456789abcdef');
      expect(res.status).toBe(404);
      expect((res.body as { error: { message: string } }).error.message).toBe('No Record found');
    });

    it('requires credentials', async () => {
      for (const authorization of [
        '',
        `Basic ${Buffer.from('admin:wrong').toString('base64')}`,
        'Bearer nope',
      ]) {
        const res = await api(sim, '/api/now/table/incident', { authorization });
        expect(res.status).toBe(401);
        expect(res.body).toEqual({
          error: { message: 'User Not Authenticated', detail: 'Required to provide Auth information' },
          status: 'failure',
        });
        expect(res.headers.get('set-cookie')).toBeNull();
      }
    });
  });

  describe('writes', () => {
    it('creates with 201 and a Location, reads, updates with PUT and PATCH, deletes with 204', async () => {
      const created = await api<OneBody>(sim, '/api/now/v2/table/incident', {
        method: 'POST',
        body: [{ short_description: 'first', impact: 2, u_unknown: 'x' }, { short_description: 'ignored' }],
      });
      expect(created.status).toBe(201);
      const sysId = String(created.body.result.sys_id);
      expect(sysId).toMatch(/^[0-9a-f]{32}$/);
      expect(created.headers.get('location')).toBe(`${sim.url}/api/now/v2/table/incident/${sysId}`);
      expect(created.body.result.short_description).toBe('first');
      expect(created.body.result.impact).toBe('2');
      expect(created.body.result).not.toHaveProperty('u_unknown');
      expect(created.body.result.sys_mod_count).toBe('0');
      expect(created.body.result.sys_created_by).toBe('admin');

      const read = await api<OneBody>(sim, `/api/now/table/incident/${sysId}`);
      expect(read.status).toBe(200);
      expect(read.body.result.short_description).toBe('first');

      const put = await api<OneBody>(sim, `/api/now/table/incident/${sysId}`, {
        method: 'PUT',
        body: { short_description: 'second' },
      });
      expect(put.status).toBe(200);
      expect(put.body.result.short_description).toBe('second');
      expect(put.body.result.impact).toBe('2');
      expect(put.body.result.sys_mod_count).toBe('1');

      const patch = await api<OneBody>(sim, `/api/now/table/incident/${sysId}`, {
        method: 'PATCH',
        body: { short_description: '' },
      });
      expect(patch.status).toBe(200);
      expect(patch.body.result.short_description).toBe('');

      const deleted = await api(sim, `/api/now/table/incident/${sysId}`, { method: 'DELETE' });
      expect(deleted.status).toBe(204);
      expect(deleted.text).toBe('');
      expect((await api(sim, `/api/now/table/incident/${sysId}`)).status).toBe(404);
      expect((await api(sim, `/api/now/table/incident/${sysId}`, { method: 'DELETE' })).status).toBe(404);
      expect((await api(sim, `/api/now/table/incident/${sysId}`, { method: 'PATCH', body: {} })).status).toBe(
        404,
      );
    });

    it('writes a sys_audit_delete row on delete', async () => {
      const [sysId] = await createIncidents(sim, 1);
      await api(sim, `/api/now/table/incident/${sysId}`, { method: 'DELETE' });
      const audit = await api<ListBody>(
        sim,
        `/api/now/table/sys_audit_delete?sysparm_query=documentkey%3D${sysId}`,
      );
      expect(audit.status).toBe(200);
      expect(audit.body.result).toHaveLength(1);
      expect(audit.body.result[0]?.tablename).toBe('incident');
    });

    it('honours X-no-response-body and X-http-method-override', async () => {
      const created = await api(sim, '/api/now/table/incident', {
        method: 'POST',
        body: { short_description: 'quiet' },
        headers: { 'x-no-response-body': 'true' },
      });
      expect(created.status).toBe(201);
      expect(created.text).toBe('');
      const location = new URL(created.headers.get('location') ?? '');
      const overridden = await api<OneBody>(sim, location.pathname, {
        method: 'POST',
        body: { short_description: 'patched via override' },
        headers: { 'x-http-method-override': 'PATCH' },
      });
      expect(overridden.status).toBe(200);
      expect(overridden.body.result.short_description).toBe('patched via override');
    });

    it('answers HEAD like GET without a body', async () => {
      const res = await api(sim, '/api/now/table/incident?sysparm_limit=2', { method: 'HEAD' });
      expect(res.status).toBe(200);
      expect(res.text).toBe('');
      expect(res.headers.get('x-total-count')).not.toBeNull();
    });

    it('rejects malformed JSON with a 400 envelope', async () => {
      const res = await api(sim, '/api/now/table/incident', {
        method: 'POST',
        body: '{"short_description":',
      });
      expect(res.status).toBe(400);
      expect((res.body as { status: string }).status).toBe('failure');
    });

    it('turns PATCHed comments and work_notes into sys_journal_field rows', async () => {
      const [sysId] = await createIncidents(sim, 1);
      await api(sim, `/api/now/table/incident/${sysId}`, {
        method: 'PATCH',
        body: { comments: 'customer called' },
      });
      sim.clock.advance(2000);
      await api(sim, `/api/now/table/incident/${sysId}`, {
        method: 'PATCH',
        body: { work_notes: 'rebooted' },
      });
      const journal = await api<ListBody>(
        sim,
        `/api/now/table/sys_journal_field?sysparm_query=element_id%3D${sysId}%5EORDERBYsys_created_on`,
      );
      expect(journal.body.result.map((r) => [r.element, r.value])).toEqual([
        ['comments', 'customer called'],
        ['work_notes', 'rebooted'],
      ]);
      const plain = await api<OneBody>(
        sim,
        `/api/now/table/incident/${sysId}?sysparm_fields=comments,work_notes`,
      );
      expect(plain.body.result).toEqual({ comments: '', work_notes: '' });
      const shown = await api<OneBody>(
        sim,
        `/api/now/table/incident/${sysId}?sysparm_fields=comments&sysparm_display_value=true`,
      );
      expect(shown.body.result.comments).toContain('customer called');
      expect(shown.body.result.comments).toContain('(Additional comments)');
      // Entries name the author by display name, as ServiceNow's history does, not by user_name.
      const author = sim.db.query('sys_user', { query: 'user_name=admin', limit: 1, offset: 0 }).rows[0]
        ?.name;
      expect(author).toBeTruthy();
      expect(shown.body.result.comments).toContain(` - ${author} (Additional comments)`);
    });

    it('refuses a POST with a taken or malformed sys_id with 400 and writes nothing', async () => {
      const [sysId] = await createIncidents(sim, 1);
      const before = sim.db.size('incident');
      const taken = await api(sim, '/api/now/table/incident', {
        method: 'POST',
        body: { sys_id: sysId, short_description: 'duplicate' },
      });
      expect(taken.status).toBe(400);
      expect((taken.body as { status: string }).status).toBe('failure');
      const malformed = await api(sim, '/api/now/table/incident', {
        method: 'POST',
        body: { sys_id: 'not-a-sys-id', short_description: 'bad id' },
      });
      expect(malformed.status).toBe(400);
      expect(sim.db.size('incident')).toBe(before);
    });
  });
});

describe('simulator Table API field shapes', () => {
  let sim: SimulatorHandle;
  let incidentId: string;
  let userId: string;

  beforeAll(async () => {
    sim = await startSimulator({ data: false });
    const user = sim.db.insert(
      'sys_user',
      { user_name: 'fred.luddy', name: 'Fred Luddy', email: 'fred@example.com' },
      { userName: 'admin' },
    );
    userId = user.sys_id ?? '';
    const created = await api<OneBody>(sim, '/api/now/table/incident', {
      method: 'POST',
      body: { short_description: 'shapes', caller_id: userId, state: '2' },
    });
    incidentId = String(created.body.result.sys_id);
  });
  afterAll(() => sim.close());

  const get = async (params: string): Promise<Row> =>
    (
      await api<OneBody>(
        sim,
        `/api/now/table/incident/${incidentId}?sysparm_fields=caller_id,state,assigned_to,short_description&${params}`,
      )
    ).body.result;

  it('returns strings, references as {link,value} and empty references as ""', async () => {
    const link = `${sim.url}/api/now/table/sys_user/${userId}`;
    expect(await get('')).toEqual({
      caller_id: { link, value: userId },
      state: '2',
      assigned_to: '',
      short_description: 'shapes',
    });
    expect(await get('sysparm_exclude_reference_link=true')).toMatchObject({ caller_id: userId, state: '2' });
  });

  it('returns display values with sysparm_display_value=true', async () => {
    const link = `${sim.url}/api/now/table/sys_user/${userId}`;
    expect(await get('sysparm_display_value=true')).toMatchObject({
      caller_id: { display_value: 'Fred Luddy', link },
      state: 'In Progress',
      assigned_to: '',
    });
    expect(await get('sysparm_display_value=true&sysparm_exclude_reference_link=true')).toMatchObject({
      caller_id: 'Fred Luddy',
    });
  });

  it('returns both with sysparm_display_value=all', async () => {
    const link = `${sim.url}/api/now/table/sys_user/${userId}`;
    expect(await get('sysparm_display_value=all')).toEqual({
      caller_id: { display_value: 'Fred Luddy', link, value: userId },
      state: { display_value: 'In Progress', value: '2' },
      assigned_to: { display_value: '', value: '' },
      short_description: { display_value: 'shapes', value: 'shapes' },
    });
    expect(await get('sysparm_display_value=all&sysparm_exclude_reference_link=true')).toMatchObject({
      caller_id: { display_value: 'Fred Luddy', value: userId },
    });
  });

  it('ignores invalid sysparm_fields and returns dot-walked keys flat', async () => {
    const res = await api<ListBody>(
      sim,
      '/api/now/table/incident?sysparm_fields=number,caller_id.email,caller_id.name,u_bogus,caller_id.u_bogus',
    );
    expect(res.body.result).toHaveLength(1);
    const row = res.body.result[0] ?? {};
    expect(Object.keys(row)).toEqual(['number', 'caller_id.email', 'caller_id.name']);
    expect(row['caller_id.email']).toBe('fred@example.com');
    expect(row['caller_id.name']).toBe('Fred Luddy');
    expect(String(row.number)).toMatch(/^INC\d+$/);
  });
});

describe('simulator Table API options and metadata', () => {
  let sim: SimulatorHandle;
  let strict: SimulatorHandle;

  beforeAll(async () => {
    sim = await startSimulator({ data: false, linkHeaderOnSinglePage: false });
    strict = await startSimulator({ data: false, strictQueries: true });
    await createIncidents(sim, 3);
    await createIncidents(strict, 3);
  });
  afterAll(async () => {
    await sim.close();
    await strict.close();
  });

  it('omits Link on a single page when linkHeaderOnSinglePage is false, keeps it when paging', async () => {
    const single = await api(sim, '/api/now/table/incident');
    expect(single.headers.get('link')).toBeNull();
    const paged = await api(sim, '/api/now/table/incident?sysparm_limit=2');
    expect(Object.keys(links(paged.headers.get('link')))).toEqual(['first', 'next', 'last']);
  });

  it('ignores an unknown query field by default and returns no rows in strict mode', async () => {
    const query = 'sysparm_query=u_typo%3Dx';
    expect((await api<ListBody>(sim, `/api/now/table/incident?${query}`)).body.result).toHaveLength(3);
    expect((await api<ListBody>(strict, `/api/now/table/incident?${query}`)).body.result).toHaveLength(0);
  });

  it('serves sys_db_object with task -> incident inheritance and sys_dictionary/sys_choice rows', async () => {
    const tables = await api<ListBody>(
      sim,
      '/api/now/table/sys_db_object?sysparm_query=nameINincident,task&sysparm_fields=name,super_class,sys_id&sysparm_exclude_reference_link=true',
    );
    const byName = Object.fromEntries(tables.body.result.map((r) => [r.name, r]));
    expect(byName.incident?.super_class).toBe(byName.task?.sys_id);
    const number = await api<ListBody>(
      sim,
      '/api/now/table/sys_dictionary?sysparm_query=name%3Dtask%5Eelement%3Dnumber',
    );
    expect(number.body.result[0]).toMatchObject({ name: 'task', element: 'number', internal_type: 'string' });
    const choices = await api<ListBody>(
      sim,
      '/api/now/table/sys_choice?sysparm_query=name%3Dincident%5Eelement%3Dstate%5Evalue%3D2&sysparm_fields=label',
    );
    expect(choices.body.result).toEqual([{ label: 'In Progress' }]);
  });

  it('answers a verb the resource lacks with 405 and an unknown URI with 400', async () => {
    const collectionDelete = await api(sim, '/api/now/table/incident', { method: 'DELETE' });
    expect(collectionDelete.status).toBe(405);
    const unknown = await api(sim, '/api/now/nothing/here');
    expect(unknown.status).toBe(400);
    expect(unknown.body).toEqual({
      error: { message: 'Requested URI does not represent any resource', detail: null },
      status: 'failure',
    });
  });
});
