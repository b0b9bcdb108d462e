import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { splitJournalText } from '../../shared/hub/journal';
import { HUB, type MetaHarness, startMetaHarness } from './meta-harness';

/** Comments and work notes over real HTTP (local mode + simulator), including the ACL fallback (C.6). */
let h: MetaHarness;
beforeAll(async () => {
  h = await startMetaHarness();
});
afterAll(() => h?.close());
afterEach(() => h.sim.faults.clear());

interface Entry {
  id: string | null;
  value: string;
  createdOn: string;
  createdBy: string;
  element: string;
}

const newIncident = () =>
  h.sim.db.insert('incident', { short_description: 'printer on fire' }, { userName: 'admin' })
    .sys_id as string;

const post = (id: string, path: 'comments' | 'work-notes', body: unknown) =>
  h.call('POST', `${HUB}/incidents/${id}/${path}`, { body });

const SECOND = 1000;

describe('POST then GET /incidents/{id}/comments', () => {
  it('appends entries and lists one per journal item, newest first, paged', async () => {
    const id = newIncident();
    const texts = ['first', 'second\n\nwith a blank line', 'third'];
    const created: Entry[] = [];
    for (const text of texts) {
      h.sim.clock.advance(SECOND);
      const res = await post(id, 'comments', { comments: text });
      expect(res.status, res.text).toBe(200);
      created.push(res.json() as Entry);
    }
    expect(created[0]).toMatchObject({ value: 'first', createdBy: 'admin', element: 'comments' });
    expect(created[0]?.id).toMatch(/^[0-9a-f]{32}$/);
    expect(Number.isNaN(Date.parse(created[0]?.createdOn ?? ''))).toBe(false);

    const res = await h.call('GET', `${HUB}/incidents/${id}/comments`);
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get('elements-returned-count')).toBe('3');
    const entries = res.json() as Entry[];
    expect(entries.map((e) => e.value)).toEqual([...texts].reverse());
    expect(entries).toEqual([...created].reverse());
    // The raw table name at the bare path reaches the same journal.
    expect((await h.call('GET', `/incident/${id}/comments`)).json()).toEqual(entries);

    const page2 = await h.call('GET', `${HUB}/incidents/${id}/comments?page=2&pageSize=2`);
    expect((page2.json() as Entry[]).map((e) => e.value)).toEqual(['first']);
    expect(page2.headers.get('elements-next-page-token')).toBeNull();
    // nextPage tokens: signed offsets, bound to this list.
    const first = await h.call('GET', `${HUB}/incidents/${id}/comments?pageSize=2`);
    const token = first.headers.get('elements-next-page-token');
    expect(token).toEqual(expect.any(String));
    const next = await h.call('GET', `${HUB}/incidents/${id}/comments?pageSize=2&nextPage=${token}`);
    expect((next.json() as Entry[]).map((e) => e.value)).toEqual(['first']);
    expect(next.headers.get('elements-next-page-token')).toBeNull();
    const forged = `${token?.slice(0, -2)}AA`;
    expect(
      (await h.call('GET', `${HUB}/incidents/${id}/comments?pageSize=2&nextPage=${forged}`)).status,
    ).toBe(400);
    expect(
      (await h.call('GET', `${HUB}/incidents/${id}/work-notes?pageSize=2&nextPage=${token}`)).status,
    ).toBe(400);
    // Work notes are a separate journal.
    expect((await h.call('GET', `${HUB}/incidents/${id}/work-notes`)).json()).toEqual([]);
  });

  it('keeps work notes apart from comments and takes {"value": ...} too', async () => {
    const id = newIncident();
    expect((await post(id, 'work-notes', { work_notes: 'internal' })).status).toBe(200);
    h.sim.clock.advance(SECOND);
    expect((await post(id, 'work-notes', { value: 'internal 2' })).status).toBe(200);
    const notes = (await h.call('GET', `${HUB}/incidents/${id}/work-notes`)).json() as Entry[];
    expect(notes.map((e) => [e.value, e.element])).toEqual([
      ['internal 2', 'work_notes'],
      ['internal', 'work_notes'],
    ]);
    expect((await h.call('GET', `${HUB}/incidents/${id}/comments`)).json()).toEqual([]);
  });

  it('refuses bad bodies with 400 and unknown records with 404', async () => {
    const id = newIncident();
    for (const body of [
      {},
      { comments: '' },
      { comments: '   ' },
      { work_notes: 'x' },
      { comments: 3 },
      ['x'],
    ]) {
      const res = await post(id, 'comments', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    const missing = '0123456789abcdef0123456789abcdef';
    expect((await post(missing, 'comments', { comments: 'x' })).status).toBe(404);
    expect((await h.call('GET', `${HUB}/incidents/${missing}/comments`)).status).toBe(404);
    expect((await h.call('GET', `${HUB}/incidents/not%5Eanid/comments`)).status).toBe(404);
    // A table without journal fields.
    const group = h.sim.db.insert('sys_user_group', { name: 'g' }, { userName: 'admin' }).sys_id as string;
    expect((await h.call('GET', `${HUB}/groups/${group}/comments`)).status).toBe(404);
    expect((await h.call('GET', `${HUB}/incidents/${id}/comments?pageSize=0`)).status).toBe(400);
  });

  it('falls back to splitting the display text when sys_journal_field is hidden by ACL', async () => {
    const id = newIncident();
    const texts = ['alpha', 'beta\n\nstill beta', 'gamma'];
    for (const text of texts) {
      h.sim.clock.advance(SECOND);
      expect((await post(id, 'comments', { comments: text })).status).toBe(200);
    }
    const visible = (await h.call('GET', `${HUB}/incidents/${id}/comments`)).json() as Entry[];
    h.sim.faults.setAcl({ hideFraction: 0, journalDenied: true });
    const res = await h.call('GET', `${HUB}/incidents/${id}/comments`);
    expect(res.status, res.text).toBe(200);
    const hidden = res.json() as Entry[];
    expect(hidden.map((e) => e.value)).toEqual(['gamma', 'beta\n\nstill beta', 'alpha']);
    expect(hidden.map((e) => e.id)).toEqual([null, null, null]);
    expect(hidden.map((e) => e.createdOn)).toEqual(visible.map((e) => e.createdOn));
    expect(hidden[0]?.createdBy).toBe('System Administrator');
    const page = (await h.call('GET', `${HUB}/incidents/${id}/comments?page=2&pageSize=1`)).json() as Entry[];
    expect(page.map((e) => e.value)).toEqual(['beta\n\nstill beta']);
    // "No entries" and "hidden" are told apart: an empty journal stays empty.
    expect((await h.call('GET', `${HUB}/incidents/${id}/work-notes`)).json()).toEqual([]);
    // Appending still works and answers the entry without an id.
    h.sim.clock.advance(SECOND);
    const appended = await post(id, 'comments', { comments: 'delta' });
    expect(appended.status).toBe(200);
    expect(appended.json()).toMatchObject({ id: null, value: 'delta', createdBy: 'admin' });
  });
});

describe('splitJournalText', () => {
  it('recovers every entry of a display text built like ServiceNow builds it (property)', () => {
    const timestamp = fc
      .date({
        min: new Date('2000-01-01T00:00:00Z'),
        max: new Date('2099-12-31T23:59:59Z'),
        noInvalidDate: true,
      })
      .map((d) => d.toISOString().slice(0, 19).replace('T', ' '));
    const name = fc.stringMatching(/^[A-Za-z][A-Za-z .'-]{0,20}[A-Za-z]$/);
    // Any text, blank lines included; only a line that itself looks like an entry header may not follow one.
    const value = fc
      .string({
        unit: fc.constantFrom('a', 'b', ' ', '\n', '-', '(', ')', ':', '1', '2', 'é', '\r'),
        maxLength: 40,
      })
      .filter((v) => v.trim() !== '' && !v.endsWith('\n'));
    fc.assert(
      fc.property(fc.array(fc.record({ timestamp, name, value }), { maxLength: 6 }), (entries) => {
        const text = entries
          .map((e) => `${e.timestamp} - ${e.name} (Additional comments)\n${e.value}\n\n`)
          .join('');
        const split = splitJournalText(text, 'comments', 'Additional comments');
        expect(split.map((e) => [e.value, e.createdBy, e.createdOn])).toEqual(
          entries.map((e) => [e.value, e.name, `${e.timestamp.replace(' ', 'T')}.000Z`]),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('splits on a blank line followed by a timestamp header, not on blank lines alone', () => {
    const text =
      '2024-01-15 10:23:45 - System Administrator (Additional comments)\nlast\n\n' +
      '2024-01-14 09:00:00 - Beth Anglin (Additional comments)\none\n\ntwo\n\n' +
      '2024-01-13 08:00:00 - Beth Anglin (Additional comments)\n2024-01-12 00:00:00 - x (y)\n\n';
    expect(splitJournalText(text, 'comments', 'Additional comments')).toEqual([
      {
        id: null,
        value: 'last',
        createdOn: '2024-01-15T10:23:45.000Z',
        createdBy: 'System Administrator',
        element: 'comments',
      },
      {
        id: null,
        value: 'one\n\ntwo',
        createdOn: '2024-01-14T09:00:00.000Z',
        createdBy: 'Beth Anglin',
        element: 'comments',
      },
      {
        id: null,
        value: '2024-01-12 00:00:00 - x (y)',
        createdOn: '2024-01-13T08:00:00.000Z',
        createdBy: 'Beth Anglin',
        element: 'comments',
      },
    ]);
    expect(splitJournalText('', 'comments')).toEqual([]);
    expect(
      splitJournalText('01/15/2024 10:23:45 AM - Jo (Work notes)\nx\n\n', 'work_notes')[0],
    ).toMatchObject({
      value: 'x',
      createdOn: '01/15/2024 10:23:45 AM',
      createdBy: 'Jo',
    });
  });
});
