import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, GetItemCommand, type UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsStateTable } from '../../shared/adapters/aws/state-table';
import { createLocalStateTable } from '../../shared/adapters/local/state-table';
import { ElementError } from '../../shared/errors';
import type { StateTable } from '../../shared/ports';
import { createLeaseGate, leaseKey } from '../../shared/servicenow';
import { createStateTable, type Dynalite, emulatorClientConfig, startDynalite } from '../adapters/emulators';
import { clientFor, json, startFakeServer } from './helpers/fake-server';

let dynalite: Dynalite;
const TABLE = 'leases';

beforeAll(async () => {
  dynalite = await startDynalite();
  await createStateTable(dynalite.client, TABLE);
}, 30_000);
afterAll(() => dynalite.close());

/** A second adapter on the same DynamoDB table through its own SDK client, as another Lambda has. */
const awsTable = (): StateTable =>
  createAwsStateTable({
    client: DynamoDBDocumentClient.from(new DynamoDBClient(emulatorClientConfig(dynalite.endpoint))),
    tableName: TABLE,
  });

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Two ServiceNow clients, each with its own process-wide semaphore, sharing only the lease table. */
const twoProcesses = async (tables: [StateTable, StateTable], key: string, limit: number) => {
  const server = await startFakeServer(async (_req, res) => {
    await wait(15);
    json(res, 200, { result: [] });
  });
  const clients = tables.map((table) =>
    clientFor(server.url, {
      concurrency: limit,
      gate: createLeaseGate({ table, key, limit, leaseMs: 10_000, maxWaitMs: 10_000 }),
    }),
  );
  try {
    await Promise.all(clients.flatMap((client) => Array.from({ length: 8 }, () => client.list('incident'))));
    return { maxInFlight: server.maxInFlight, requests: server.seen.length };
  } finally {
    await Promise.all(clients.map((client) => client.agent.close()));
    await server.close();
  }
};

describe('per-instance lease gate across processes', () => {
  it('two adapters on one DynamoDB table never send more than the limit at once', async () => {
    const result = await twoProcesses([awsTable(), awsTable()], 'dynamo-limit', 3);
    expect(result.requests).toBe(16);
    // Each client alone would send 3 at once; together they still send at most 3.
    expect(result.maxInFlight).toBeLessThanOrEqual(3);
    expect(
      await createLeaseGate({
        table: awsTable(),
        key: 'dynamo-limit',
        limit: 3,
        leaseMs: 1,
        maxWaitMs: 1,
      }).inFlight(),
    ).toBe(0);
  });

  /** A document client whose commands are counted, as a Lambda's would be billed. */
  const countedTable = (options: { returnRefusedItem: boolean }) => {
    const commands: string[] = [];
    const client = DynamoDBDocumentClient.from(new DynamoDBClient(emulatorClientConfig(dynalite.endpoint)));
    client.middlewareStack.add(
      (next, context) => (args) => {
        commands.push(String(context.commandName));
        return next(args);
      },
      { step: 'initialize' },
    );
    if (options.returnRefusedItem) {
      // What DynamoDB does with ReturnValuesOnConditionCheckFailure ALL_OLD and dynalite does not: the
      // refused item rides on the exception, in wire format (read here by an uncounted client).
      const reader = new DynamoDBClient(emulatorClientConfig(dynalite.endpoint));
      client.middlewareStack.add(
        (next) => async (args) => {
          try {
            return await next(args);
          } catch (error) {
            const input = args.input as UpdateItemCommandInput;
            if (
              (error as Error).name === 'ConditionalCheckFailedException' &&
              input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD'
            ) {
              const { Item } = await reader.send(
                new GetItemCommand({ TableName: input.TableName, Key: input.Key, ConsistentRead: true }),
              );
              Object.assign(error as object, { Item });
            }
            throw error;
          }
        },
        { step: 'build' },
      );
    }
    return { commands, table: createAwsStateTable({ client, tableName: TABLE }) };
  };

  it('costs one conditional write to take a lease and one to give it back', async () => {
    const { commands, table } = countedTable({ returnRefusedItem: false });
    const gate = createLeaseGate({ table, key: 'one-write', limit: 2, leaseMs: 10_000, maxWaitMs: 10_000 });
    for (let i = 0; i < 3; i++) expect(await gate.run(async () => i)).toBe(i);
    expect(commands).toEqual(Array.from({ length: 6 }, () => 'UpdateItemCommand'));
  });

  it('learns why a lease was refused from the refused write itself, without a read', async () => {
    const { commands, table } = countedTable({ returnRefusedItem: true });
    const key = leaseKey('refused-item');
    const now = Date.now();
    const lease = (holder: string) => ({ holder, until: now + 60_000, limit: 1, now });
    expect(await table.acquireLease(key, lease('first'))).toEqual({ acquired: true });
    const refusal = await table.acquireLease(key, lease('second'));
    expect(refusal).toEqual({ acquired: false, holders: 1 });
    expect(commands).toEqual(['UpdateItemCommand', 'UpdateItemCommand']);
    // A pause set by a 429 is read from the returned item too.
    await table.update(key, { pausedUntil: now + 30_000 });
    commands.length = 0;
    expect(await table.acquireLease(key, { ...lease('third'), limit: 5 })).toEqual({
      acquired: false,
      holders: 1,
      pausedUntil: now + 30_000,
    });
    expect(commands).toEqual(['UpdateItemCommand']);
  });

  it('reads the item after a refusal when the table does not return it (dynalite)', async () => {
    const { commands, table } = countedTable({ returnRefusedItem: false });
    const key = leaseKey('refused-read');
    const now = Date.now();
    const lease = (holder: string) => ({ holder, until: now + 60_000, limit: 1, now });
    expect(await table.acquireLease(key, lease('first'))).toEqual({ acquired: true });
    expect(await table.acquireLease(key, lease('second'))).toEqual({ acquired: false, holders: 1 });
    expect(commands).toEqual(['UpdateItemCommand', 'UpdateItemCommand', 'GetItemCommand']);
  });

  it('holds on the local table too (two clients, one table)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lease-'));
    const table = createLocalStateTable({ dataDir });
    try {
      const result = await twoProcesses([table, table], 'local-limit', 2);
      expect(result.requests).toBe(16);
      expect(result.maxInFlight).toBeLessThanOrEqual(2);
    } finally {
      await table.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('a 429 storm pauses every sender and halves the limit for the instance', async () => {
    let throttle = 2;
    const server = await startFakeServer(async (_req, res) => {
      if (throttle > 0) {
        throttle--;
        json(res, 429, { error: { message: 'Too many requests' } }, { 'retry-after': '1' });
        return;
      }
      await wait(15);
      json(res, 200, { result: [] });
    });
    const table = awsTable();
    const options = { table, key: 'storm', limit: 4, leaseMs: 10_000, maxWaitMs: 10_000 };
    const first = clientFor(server.url, { concurrency: 4, gate: createLeaseGate(options) });
    const second = clientFor(server.url, { concurrency: 4, gate: createLeaseGate(options) });
    try {
      const before = Date.now();
      // Two 429s in a row (the client retries without waiting itself): 4 -> 2 -> 1 for the cool-down.
      await first.list('incident');
      const item = await table.get(leaseKey('storm'));
      expect(item?.reducedLimit).toBe(1);
      expect(Number(item?.pausedUntil)).toBeGreaterThan(before);
      await Promise.all([
        ...Array.from({ length: 4 }, () => first.list('incident')),
        ...Array.from({ length: 4 }, () => second.list('incident')),
      ]);
      // The other client was slowed too: nothing overlapped while the limit was 1.
      expect(server.maxInFlight).toBe(1);
      expect(server.seen.length).toBe(11);
    } finally {
      await Promise.all([first.agent.close(), second.agent.close()]);
      await server.close();
    }
  });

  it('frees the lease of a SIGKILLed holder once it expires', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(import.meta.dirname, 'helpers/lease-holder.ts'),
        dynalite.endpoint,
        TABLE,
        'killed',
        '1500',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (data: Buffer) => {
          if (data.toString().includes('held')) resolve();
        });
        child.on('exit', (code) => reject(new Error(`holder exited early (${code})`)));
      });
      child.kill('SIGKILL');
      const gate = createLeaseGate({
        table: awsTable(),
        key: 'killed',
        limit: 1,
        leaseMs: 10_000,
        maxWaitMs: 100,
      });
      // The dead process still holds the only lease: a short wait gives up with 503.
      expect(await gate.inFlight()).toBe(1);
      await expect(gate.run(async () => 'ran')).rejects.toSatisfy(
        (error) => error instanceof ElementError && error.status === 503,
      );
      // A longer wait outlasts the lease's expiry and gets it.
      const patient = createLeaseGate({
        table: awsTable(),
        key: 'killed',
        limit: 1,
        leaseMs: 10_000,
        maxWaitMs: 10_000,
      });
      expect(await patient.run(async () => 'ran')).toBe('ran');
      expect(await patient.inFlight()).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  }, 30_000);
});
