import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ConditionFailedError,
  InvalidCursorError,
  ItemTooLargeError,
  LEASE_COUNT,
  leaseHolders,
  type QueryInput,
  type StateItem,
  type StateTable,
} from '../../../shared/ports';

export interface StateTableHarness {
  table: StateTable;
  close(): Promise<void>;
}

/** `now` is the clock (epoch ms) the adapter must use for TTL. */
export type StateTableFactory = (now: () => number) => Promise<StateTableHarness>;

async function queryAll(
  table: StateTable,
  input: QueryInput,
): Promise<{ items: StateItem[]; pages: number }> {
  const items: StateItem[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await table.query({ ...input, ...(cursor ? { cursor } : {}) });
    items.push(...page.items);
    cursor = page.cursor;
    pages++;
  } while (cursor && pages < 100);
  return { items, pages };
}

export function describeStateTableContract(name: string, factory: StateTableFactory): void {
  describe(`StateTable contract: ${name}`, () => {
    let harness: StateTableHarness;
    let table: StateTable;
    let clock = Date.UTC(2026, 0, 1);

    beforeEach(async () => {
      clock = Date.UTC(2026, 0, 1);
      harness = await factory(() => clock);
      table = harness.table;
    });
    afterEach(async () => {
      await harness.close();
    });

    it('stores JSON values and reads them back with version 1', async () => {
      const attrs = {
        name: 'acme',
        n: 42.5,
        ok: true,
        none: null,
        empty: '',
        list: [1, 'two', { three: 3 }],
      };
      const stored = await table.put({ pk: 'org#1', sk: 'meta', ...attrs, nested: { a: { b: ['c'] } } });
      expect(stored.version).toBe(1);
      const read = await table.get({ pk: 'org#1', sk: 'meta' });
      expect(read).toEqual({ pk: 'org#1', sk: 'meta', ...attrs, nested: { a: { b: ['c'] } }, version: 1 });
      expect(await table.get({ pk: 'org#1', sk: 'other' })).toBeUndefined();
    });

    it('refuses a second create with ifNotExists and keeps the first item', async () => {
      await table.put({ pk: 'token#h', sk: 'token', instanceId: 'a' }, { ifNotExists: true });
      await expect(
        table.put({ pk: 'token#h', sk: 'token', instanceId: 'b' }, { ifNotExists: true }),
      ).rejects.toBeInstanceOf(ConditionFailedError);
      expect((await table.get({ pk: 'token#h', sk: 'token' }))?.instanceId).toBe('a');
    });

    it('replaces an item only at the expected version', async () => {
      await table.put({ pk: 'job#1', sk: 'state', step: 'a' });
      const second = await table.put({ pk: 'job#1', sk: 'state', step: 'b' }, { ifVersion: 1 });
      expect(second.version).toBe(2);
      await expect(
        table.put({ pk: 'job#1', sk: 'state', step: 'stale' }, { ifVersion: 1 }),
      ).rejects.toBeInstanceOf(ConditionFailedError);
      await expect(table.put({ pk: 'job#2', sk: 'state' }, { ifVersion: 1 })).rejects.toBeInstanceOf(
        ConditionFailedError,
      );
      expect(await table.get({ pk: 'job#1', sk: 'state' })).toMatchObject({ step: 'b', version: 2 });
    });

    it('updates attributes, bumps the version and creates the item when absent', async () => {
      const created = await table.update({ pk: 'cp#1', sk: 'checkpoint' }, { cursor: 'x', count: 1 });
      expect(created).toEqual({ pk: 'cp#1', sk: 'checkpoint', cursor: 'x', count: 1, version: 1 });
      const updated = await table.update(
        { pk: 'cp#1', sk: 'checkpoint' },
        { cursor: 'y', gone: undefined, extra: { deep: [1] } },
        { ifVersion: 1, remove: ['count'] },
      );
      expect(updated).toEqual({
        pk: 'cp#1',
        sk: 'checkpoint',
        cursor: 'y',
        extra: { deep: [1] },
        version: 2,
      });
      expect(await table.get({ pk: 'cp#1', sk: 'checkpoint' })).toEqual(updated);
      await expect(
        table.update({ pk: 'cp#1', sk: 'checkpoint' }, { cursor: 'z' }, { ifVersion: 1 }),
      ).rejects.toBeInstanceOf(ConditionFailedError);
      await expect(
        table.update({ pk: 'cp#2', sk: 'checkpoint' }, { cursor: 'z' }, { ifExists: true }),
      ).rejects.toBeInstanceOf(ConditionFailedError);
      expect(await table.get({ pk: 'cp#2', sk: 'checkpoint' })).toBeUndefined();
    });

    it('lets exactly one of several racing optimistic updates win', async () => {
      await table.put({ pk: 'lease#1', sk: 'lease', owner: 'none' });
      const results = await Promise.allSettled(
        ['a', 'b', 'c', 'd'].map((owner) =>
          table.update({ pk: 'lease#1', sk: 'lease' }, { owner }, { ifVersion: 1 }),
        ),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r) => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost.every((r) => r.status === 'rejected' && r.reason instanceof ConditionFailedError)).toBe(
        true,
      );
      expect((await table.get({ pk: 'lease#1', sk: 'lease' }))?.version).toBe(2);
    });

    it('deletes idempotently, and conditionally only at the expected version', async () => {
      await table.delete({ pk: 'nothing', sk: 'here' });
      await table.put({ pk: 'd#1', sk: 'x' });
      await table.update({ pk: 'd#1', sk: 'x' }, { a: 1 });
      await expect(table.delete({ pk: 'd#1', sk: 'x' }, { ifVersion: 1 })).rejects.toBeInstanceOf(
        ConditionFailedError,
      );
      expect(await table.get({ pk: 'd#1', sk: 'x' })).toBeDefined();
      await table.delete({ pk: 'd#1', sk: 'x' }, { ifVersion: 2 });
      expect(await table.get({ pk: 'd#1', sk: 'x' })).toBeUndefined();
      await expect(table.delete({ pk: 'd#1', sk: 'x' }, { ifVersion: 2 })).rejects.toBeInstanceOf(
        ConditionFailedError,
      );
    });

    it('queries a partition by sort-key prefix and range, in byte order, both directions', async () => {
      for (const sk of ['run#2026-01-02', 'run#2026-01-01', 'run#2026-01-03', 'meta', 'run#2026-02-01']) {
        await table.put({ pk: 'inst#9', sk });
      }
      await table.put({ pk: 'inst#10', sk: 'run#2026-01-01' });
      const sks = async (input: Omit<QueryInput, 'pk'>) =>
        (await queryAll(table, { pk: 'inst#9', ...input })).items.map((i) => i.sk);
      expect(await sks({})).toEqual([
        'meta',
        'run#2026-01-01',
        'run#2026-01-02',
        'run#2026-01-03',
        'run#2026-02-01',
      ]);
      expect(await sks({ sk: { beginsWith: 'run#2026-01' } })).toEqual([
        'run#2026-01-01',
        'run#2026-01-02',
        'run#2026-01-03',
      ]);
      expect(await sks({ sk: { between: ['run#2026-01-02', 'run#2026-01-03'] } })).toEqual([
        'run#2026-01-02',
        'run#2026-01-03',
      ]);
      expect(await sks({ sk: { gt: 'run#2026-01-03' } })).toEqual(['run#2026-02-01']);
      expect(await sks({ sk: { lte: 'meta' } })).toEqual(['meta']);
      expect(await sks({ sk: { eq: 'run#2026-01-02' } })).toEqual(['run#2026-01-02']);
      expect(await sks({ sk: { beginsWith: 'run#' }, descending: true, limit: 2 })).toEqual([
        'run#2026-02-01',
        'run#2026-01-03',
        'run#2026-01-02',
        'run#2026-01-01',
      ]);
    });

    it('pages with a limit and cursor without losing or repeating items', async () => {
      const all = Array.from({ length: 23 }, (_, i) => `item#${String(i).padStart(3, '0')}`);
      for (const sk of all) await table.put({ pk: 'page', sk });
      const first = await table.query({ pk: 'page', limit: 5 });
      expect(first.items.map((i) => i.sk)).toEqual(all.slice(0, 5));
      expect(first.cursor).toBeTypeOf('string');
      const forward = await queryAll(table, { pk: 'page', limit: 5 });
      expect(forward.items.map((i) => i.sk)).toEqual(all);
      expect(forward.pages).toBeGreaterThanOrEqual(5);
      const backward = await queryAll(table, { pk: 'page', limit: 4, descending: true });
      expect(backward.items.map((i) => i.sk)).toEqual([...all].reverse());
    });

    it('queries the secondary index by key and range, paging across items with equal index keys', async () => {
      await table.put({ pk: 'inst#1', sk: 'meta', gsi1pk: 'due', gsi1sk: '2026-01-01T10:00' });
      await table.put({ pk: 'inst#2', sk: 'meta', gsi1pk: 'due', gsi1sk: '2026-01-01T09:00' });
      await table.put({ pk: 'inst#3', sk: 'meta', gsi1pk: 'due', gsi1sk: '2026-01-01T10:00' });
      await table.put({ pk: 'inst#4', sk: 'meta', gsi1pk: 'due', gsi1sk: '2026-01-01T11:00' });
      await table.put({ pk: 'inst#5', sk: 'meta', gsi1pk: 'other', gsi1sk: '2026-01-01T09:00' });
      await table.put({ pk: 'inst#6', sk: 'meta' });
      const due = await queryAll(table, {
        pk: 'due',
        index: 'gsi1',
        sk: { lte: '2026-01-01T10:00' },
        limit: 1,
      });
      expect(due.items.map((i) => i.pk).sort()).toEqual(['inst#1', 'inst#2', 'inst#3']);
      expect(due.items[0]?.pk).toBe('inst#2');
      expect(due.items.every((i) => i.sk === 'meta' && i.version === 1)).toBe(true);
      const latest = await table.query({ pk: 'due', index: 'gsi1', descending: true, limit: 1 });
      expect(latest.items.map((i) => i.pk)).toEqual(['inst#4']);
      await table.update({ pk: 'inst#4', sk: 'meta' }, { gsi1pk: undefined, gsi1sk: undefined });
      expect((await queryAll(table, { pk: 'due', index: 'gsi1' })).items).toHaveLength(3);
    });

    it('hides items whose expiresAt has passed, and lets ifNotExists reclaim them', async () => {
      const nowSeconds = Math.floor(clock / 1000);
      await table.put({ pk: 'ttl', sk: 'short', expiresAt: nowSeconds + 60 });
      await table.put({ pk: 'ttl', sk: 'forever' });
      expect(await table.get({ pk: 'ttl', sk: 'short' })).toBeDefined();
      clock += 61_000;
      expect(await table.get({ pk: 'ttl', sk: 'short' })).toBeUndefined();
      expect((await queryAll(table, { pk: 'ttl' })).items.map((i) => i.sk)).toEqual(['forever']);
      await expect(
        table.update({ pk: 'ttl', sk: 'short' }, { a: 1 }, { ifExists: true }),
      ).rejects.toBeInstanceOf(ConditionFailedError);
      const reclaimed = await table.put({ pk: 'ttl', sk: 'short', owner: 'new' }, { ifNotExists: true });
      expect(reclaimed.version).toBe(1);
      expect(await table.get({ pk: 'ttl', sk: 'short' })).toMatchObject({ owner: 'new' });
    });

    it('enforces the 400 KB item limit on put and update', async () => {
      await table.put({ pk: 'big', sk: '1', blob: 'x'.repeat(300 * 1024) });
      await expect(table.put({ pk: 'big', sk: '2', blob: 'x'.repeat(401 * 1024) })).rejects.toBeInstanceOf(
        ItemTooLargeError,
      );
      await expect(
        table.update({ pk: 'big', sk: '1' }, { more: 'y'.repeat(150 * 1024) }),
      ).rejects.toBeInstanceOf(ItemTooLargeError);
      expect((await table.get({ pk: 'big', sk: '1' }))?.more).toBeUndefined();
      expect(await table.get({ pk: 'big', sk: '2' })).toBeUndefined();
    });

    describe('counted leases', () => {
      const key = { pk: 'SNLEASE#7', sk: 'LEASE' };
      const lease = (holder: string, limit: number, ms = 10_000) =>
        table.acquireLease(key, { holder, until: clock + ms, limit, now: clock });

      it('grants up to the limit, refuses the next, and frees a slot on release', async () => {
        expect(await lease('a', 2)).toEqual({ acquired: true });
        expect(await lease('b', 2)).toEqual({ acquired: true });
        expect(await lease('c', 2)).toEqual({ acquired: false, holders: 2 });
        expect(await table.releaseLease(key, 'a')).toBe(true);
        expect(await table.releaseLease(key, 'a')).toBe(false);
        expect(await table.releaseLease(key, 'never')).toBe(false);
        expect(await lease('c', 2)).toEqual({ acquired: true });
        const item = await table.get(key);
        expect(item?.[LEASE_COUNT]).toBe(2);
        expect([...leaseHolders(item).keys()].sort()).toEqual(['b', 'c']);
      });

      it('lets exactly `limit` of many racing acquirers in', async () => {
        const outcomes = await Promise.all(Array.from({ length: 12 }, (_, i) => lease(`h${i}`, 3)));
        expect(outcomes.filter((o) => o.acquired)).toHaveLength(3);
        expect(outcomes.filter((o) => !o.acquired)).toHaveLength(9);
        expect((await table.get(key))?.[LEASE_COUNT]).toBe(3);
      });

      it("drops a dead holder's lease once it lapses, and only then", async () => {
        expect(await lease('dead', 1, 5_000)).toEqual({ acquired: true });
        clock += 4_000;
        expect(await lease('next', 1)).toEqual({ acquired: false, holders: 1 });
        clock += 1_000;
        expect(await lease('next', 1)).toEqual({ acquired: true });
        expect(await table.releaseLease(key, 'dead')).toBe(false);
        expect([...leaseHolders(await table.get(key)).keys()]).toEqual(['next']);
        expect((await table.get(key))?.[LEASE_COUNT]).toBe(1);
      });

      it('honours a pause and a reduced limit written with update, keeping the leases held', async () => {
        expect(await lease('a', 4)).toEqual({ acquired: true });
        await table.update(key, {
          pausedUntil: clock + 1_000,
          reducedLimit: 2,
          reducedUntil: clock + 60_000,
        });
        expect(await lease('b', 4)).toEqual({ acquired: false, holders: 1, pausedUntil: clock + 1_000 });
        clock += 1_000;
        expect(await lease('b', 4)).toEqual({ acquired: true });
        expect(await lease('c', 4)).toEqual({ acquired: false, holders: 2 });
        clock += 60_000;
        expect(await lease('c', 4, 120_000)).toEqual({ acquired: true });
        const item = await table.get(key);
        // Lapsed leases may stay in the item until a refusal needs their slots: only live ones count.
        const live = [...leaseHolders(item)].filter(([, until]) => until > clock).map(([holder]) => holder);
        expect(live).toEqual(['c']);
        expect(Number(item?.expiresAt)).toBeGreaterThan(clock / 1000 + 120);
      });

      it('counts a pause alone (no lease yet) as a pause', async () => {
        await table.update(key, { pausedUntil: clock + 500 });
        expect(await lease('a', 4)).toEqual({ acquired: false, holders: 0, pausedUntil: clock + 500 });
        clock += 500;
        expect(await lease('a', 4)).toEqual({ acquired: true });
      });
    });

    it('rejects a cursor it did not produce', async () => {
      await expect(table.query({ pk: 'x', cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(
        InvalidCursorError,
      );
      const forged = Buffer.from(JSON.stringify({ evil: 1 })).toString('base64url');
      await expect(table.query({ pk: 'x', cursor: forged })).rejects.toBeInstanceOf(InvalidCursorError);
    });
  });
}
