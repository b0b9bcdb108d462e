import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsStateTable } from '../../shared/adapters/aws';
import { createLocalStateTable } from '../../shared/adapters/local';
import { describeStateTableContract } from './contracts/state-table.contract';
import { createStateTable, type Dynalite, startDynalite } from './emulators';
import { makeTempDir } from './temp-dir';

let dynaliteServer: Dynalite;
let tables = 0;
beforeAll(async () => {
  dynaliteServer = await startDynalite();
});
afterAll(async () => {
  await dynaliteServer.close();
});

describeStateTableContract('DynamoDB adapter on dynalite', async (now) => {
  const tableName = `state-${++tables}`;
  await createStateTable(dynaliteServer.client, tableName);
  return {
    table: createAwsStateTable({ client: dynaliteServer.documentClient, tableName, now }),
    close: async () => {},
  };
});

describeStateTableContract('local file-backed adapter', async (now) => {
  const temp = await makeTempDir('state');
  const table = createLocalStateTable({ dataDir: temp.dir, now });
  return {
    table,
    close: async () => {
      await table.close();
      await temp.cleanup();
    },
  };
});

describe('local state table copies', () => {
  it('hands out deep copies: changing what get, put, update or query returned changes nothing stored', async () => {
    const temp = await makeTempDir('state-copies');
    const table = createLocalStateTable({ dataDir: temp.dir });
    try {
      const nested = { list: [1, { deep: 'x' }], map: { a: 'b' } };
      const input = { pk: 'p', sk: '1', nested, tags: ['t'] };
      const put = await table.put(input);
      nested.map.a = 'changed by the caller after put';
      (put.tags as string[]).push('from put result');
      const read = await table.get({ pk: 'p', sk: '1' });
      if (!read) throw new Error('the item is missing');
      ((read.nested as { list: unknown[] }).list[1] as { deep: string }).deep = 'changed';
      const updated = await table.update({ pk: 'p', sk: '1' }, { extra: { k: 'v' } });
      (updated.extra as { k: string }).k = 'changed';
      const [queried] = (await table.query({ pk: 'p' })).items;
      if (!queried) throw new Error('the query found nothing');
      (queried.tags as string[]).push('from query');
      expect(await table.get({ pk: 'p', sk: '1' })).toEqual({
        pk: 'p',
        sk: '1',
        nested: { list: [1, { deep: 'x' }], map: { a: 'b' } },
        tags: ['t'],
        extra: { k: 'v' },
        version: 2,
      });
    } finally {
      await table.close();
      await temp.cleanup();
    }
  });

  it('keeps an own "__proto__" attribute as data, never as a prototype', async () => {
    const temp = await makeTempDir('state-proto');
    const table = createLocalStateTable({ dataDir: temp.dir });
    try {
      const item = JSON.parse('{"pk":"p","sk":"1","map":{"__proto__":{"polluted":true},"a":1}}');
      await table.put(item);
      const read = await table.get({ pk: 'p', sk: '1' });
      const map = read?.map as Record<string, unknown>;
      expect(Object.getPrototypeOf(map)).toBe(Object.prototype);
      expect(Object.hasOwn(map, '__proto__')).toBe(true);
      expect((map as { polluted?: unknown }).polluted).toBeUndefined();
      expect(JSON.stringify(map)).toBe('{"__proto__":{"polluted":true},"a":1}');
    } finally {
      await table.close();
      await temp.cleanup();
    }
  });
});

describe('local state table persistence', () => {
  it('keeps items, versions and deletions across a restart', async () => {
    const temp = await makeTempDir('state-restart');
    try {
      const first = createLocalStateTable({ dataDir: temp.dir });
      await first.put({ pk: 'a', sk: '1', value: 'one' });
      await first.update({ pk: 'a', sk: '1' }, { value: 'two' });
      await first.put({ pk: 'a', sk: '2' });
      await first.delete({ pk: 'a', sk: '2' });
      await first.close();

      const second = createLocalStateTable({ dataDir: temp.dir });
      expect(await second.get({ pk: 'a', sk: '1' })).toEqual({ pk: 'a', sk: '1', value: 'two', version: 2 });
      expect(await second.get({ pk: 'a', sk: '2' })).toBeUndefined();
      await second.close();
      // Reopening compacts the log to one line per item.
      expect(
        (await readFile(join(temp.dir, 'state', 'table.jsonl'), 'utf8')).trim().split('\n'),
      ).toHaveLength(1);
    } finally {
      await temp.cleanup();
    }
  });

  it('drops expired items from the file when it re-opens', async () => {
    const temp = await makeTempDir('state-ttl');
    let clock = Date.UTC(2026, 0, 1);
    try {
      const first = createLocalStateTable({ dataDir: temp.dir, now: () => clock });
      await first.put({ pk: 'lease', sk: 'a', expiresAt: clock / 1000 + 10 });
      await first.put({ pk: 'lease', sk: 'b' });
      await first.close();
      clock += 11_000;
      const second = createLocalStateTable({ dataDir: temp.dir, now: () => clock });
      expect((await second.query({ pk: 'lease' })).items.map((i) => i.sk)).toEqual(['b']);
      await second.close();
      const log = await readFile(join(temp.dir, 'state', 'table.jsonl'), 'utf8');
      expect(log).not.toContain('"sk":"a"');
    } finally {
      await temp.cleanup();
    }
  });

  it('ignores a torn last line left by a crash', async () => {
    const temp = await makeTempDir('state-torn');
    try {
      const first = createLocalStateTable({ dataDir: temp.dir });
      await first.put({ pk: 'a', sk: '1' });
      await first.close();
      await appendFile(join(temp.dir, 'state', 'table.jsonl'), '{"put":{"pk":"a","sk":"2"');
      const second = createLocalStateTable({ dataDir: temp.dir });
      expect((await second.query({ pk: 'a' })).items.map((i) => i.sk)).toEqual(['1']);
      await second.put({ pk: 'a', sk: '3' });
      await second.close();
      const third = createLocalStateTable({ dataDir: temp.dir });
      expect((await third.query({ pk: 'a' })).items.map((i) => i.sk)).toEqual(['1', '3']);
      await third.close();
    } finally {
      await temp.cleanup();
    }
  });
});
