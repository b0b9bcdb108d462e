import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import {
  assertValidKey,
  assertValidUpdate,
  ConditionFailedError,
  epochSeconds,
  InvalidCursorError,
  ItemTooLargeError,
  isExpired,
  LEASE_COUNT,
  LEASE_HOLDER_PREFIX,
  leaseHolders,
  leaseItemExpiry,
  leaseRefusal,
  queryLimit,
  type SortKeyCondition,
  STATE_TABLE_SCHEMA,
  type StateItem,
  type StateKey,
  type StateTable,
} from '../../ports';

/**
 * The DocumentClient the deployed functions use (the Lambda's region and credentials), built once per
 * container. Named imports here, not a dynamic import of the SDK package, so the bundle holds only the
 * commands this adapter sends.
 */
export const createDefaultDocumentClient = (): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });

/**
 * The state table on DynamoDB through the DocumentClient (createDefaultDocumentClient).
 *
 * DynamoDB's TTL sweeper deletes expired items up to days late, so reads filter them out and
 * `ifNotExists` treats them as absent (same behaviour as the local adapter). Because `Limit` applies
 * before that filter, a query page can be short and still carry a cursor.
 */
export interface AwsStateTableOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  now?: () => number;
}

const {
  partitionKey: PK,
  sortKey: SK,
  gsi1,
  ttlAttribute: TTL,
  versionAttribute: VERSION,
} = STATE_TABLE_SCHEMA;

export function createAwsStateTable(options: AwsStateTableOptions): StateTable {
  const { client, tableName: TableName } = options;
  const now = options.now ?? Date.now;

  const conditional = async <T>(send: () => Promise<T>): Promise<T> => {
    try {
      return await send();
    } catch (error) {
      if (
        error instanceof ConditionalCheckFailedException ||
        (error as { name?: unknown }).name === 'ConditionalCheckFailedException'
      ) {
        throw new ConditionFailedError(undefined, { cause: error });
      }
      if (
        (error as Error).name === 'ValidationException' &&
        /maximum allowed size/i.test((error as Error).message)
      ) {
        throw new ItemTooLargeError({ cause: error });
      }
      throw error;
    }
  };

  // `version = :v` on a live item.
  const versionCondition = (version: number) => ({
    expression: '#version = :expectedVersion AND (attribute_not_exists(#ttl) OR #ttl > :now)',
    names: { '#version': VERSION, '#ttl': TTL },
    values: { ':expectedVersion': version, ':now': epochSeconds(now()) },
  });

  /** Optimistic locking: the write applies only to the live item still at `version`. */
  const addVersionCondition = (
    version: number,
    conditions: string[],
    names: Record<string, string>,
    values: Record<string, unknown>,
  ) => {
    const c = versionCondition(version);
    conditions.push(`(${c.expression})`);
    Object.assign(names, c.names);
    Object.assign(values, c.values);
  };

  const isConditionFailed = (error: unknown): error is ConditionFailedError =>
    error instanceof ConditionFailedError;

  /**
   * The item a refused write returned (`ReturnValuesOnConditionCheckFailure: 'ALL_OLD'`). The
   * DocumentClient does not unmarshall an exception's item, so this does.
   */
  const itemOfRefusal = (error: ConditionFailedError): StateItem | undefined => {
    const item = (error.cause as { Item?: Record<string, AttributeValue> } | undefined)?.Item;
    return item ? (unmarshall(item) as StateItem) : undefined;
  };

  /** One conditional UpdateItem that removes leases known to have lapsed (still there, so counted once). */
  const dropLapsed = async (key: StateKey, holders: string[]): Promise<void> => {
    const names: Record<string, string> = { '#count': LEASE_COUNT, '#version': VERSION };
    holders.forEach((holder, i) => {
      names[`#h${i}`] = `${LEASE_HOLDER_PREFIX}${holder}`;
    });
    const placeholders = holders.map((_, i) => `#h${i}`);
    await conditional(() =>
      client.send(
        new UpdateCommand({
          TableName,
          Key: { [PK]: key.pk, [SK]: key.sk },
          UpdateExpression: `REMOVE ${placeholders.join(', ')} ADD #count :drop, #version :one`,
          ConditionExpression: placeholders.map((h) => `attribute_exists(${h})`).join(' AND '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ':drop': -holders.length, ':one': 1 },
        }),
      ),
    );
  };

  return {
    async get(key) {
      assertValidKey(key);
      const { Item } = await client.send(new GetCommand({ TableName, Key: { [PK]: key.pk, [SK]: key.sk } }));
      const item = Item as StateItem | undefined;
      return item && !isExpired(item, now()) ? item : undefined;
    },

    async put(input, options = {}) {
      assertValidKey(input);
      const item: StateItem = { ...input, [VERSION]: (options.ifVersion ?? 0) + 1 };
      const names: Record<string, string> = {};
      const values: Record<string, unknown> = {};
      const conditions: string[] = [];
      if (options.ifNotExists) {
        conditions.push('(attribute_not_exists(#pk) OR #ttl <= :now)');
        Object.assign(names, { '#pk': PK, '#ttl': TTL });
        values[':now'] = epochSeconds(now());
      }
      if (options.ifVersion !== undefined) addVersionCondition(options.ifVersion, conditions, names, values);
      await conditional(() =>
        client.send(
          new PutCommand({
            TableName,
            Item: item,
            ...(conditions.length
              ? {
                  ConditionExpression: conditions.join(' AND '),
                  ExpressionAttributeNames: names,
                  ExpressionAttributeValues: values,
                }
              : {}),
          }),
        ),
      );
      return removeUndefined(item);
    },

    async update(key, set, options = {}) {
      assertValidKey(key);
      assertValidUpdate(set, options.remove);
      const names: Record<string, string> = { '#version': VERSION };
      const values: Record<string, unknown> = { ':one': 1 };
      const sets: string[] = [];
      const removes: string[] = [];
      let n = 0;
      for (const [name, value] of Object.entries(set)) {
        names[`#a${n}`] = name;
        if (value === undefined) removes.push(`#a${n}`);
        else {
          values[`:a${n}`] = value;
          sets.push(`#a${n} = :a${n}`);
        }
        n++;
      }
      for (const name of options.remove ?? []) {
        names[`#a${n}`] = name;
        removes.push(`#a${n}`);
        n++;
      }
      const conditions: string[] = [];
      if (options.ifExists) {
        conditions.push('(attribute_exists(#pk) AND (attribute_not_exists(#ttl) OR #ttl > :now))');
        Object.assign(names, { '#pk': PK, '#ttl': TTL });
        values[':now'] = epochSeconds(now());
      }
      if (options.ifVersion !== undefined) addVersionCondition(options.ifVersion, conditions, names, values);
      const expression = [
        sets.length ? `SET ${sets.join(', ')}` : '',
        removes.length ? `REMOVE ${removes.join(', ')}` : '',
        'ADD #version :one',
      ]
        .filter(Boolean)
        .join(' ');
      const { Attributes } = await conditional(() =>
        client.send(
          new UpdateCommand({
            TableName,
            Key: { [PK]: key.pk, [SK]: key.sk },
            UpdateExpression: expression,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ...(conditions.length ? { ConditionExpression: conditions.join(' AND ') } : {}),
            ReturnValues: 'ALL_NEW',
          }),
        ),
      );
      return Attributes as StateItem;
    },

    async delete(key, options = {}) {
      assertValidKey(key);
      const c = options.ifVersion === undefined ? undefined : versionCondition(options.ifVersion);
      await conditional(() =>
        client.send(
          new DeleteCommand({
            TableName,
            Key: { [PK]: key.pk, [SK]: key.sk },
            ...(c
              ? {
                  ConditionExpression: c.expression,
                  ExpressionAttributeNames: c.names,
                  ExpressionAttributeValues: c.values,
                }
              : {}),
          }),
        ),
      );
    },

    async acquireLease(key, request) {
      assertValidKey(key);
      const Key = { [PK]: key.pk, [SK]: key.sk };
      // A refusal that found lapsed leases drops them and tries again; twice is enough unless other
      // acquirers keep winning the freed slots, which is a refusal too.
      for (let attempt = 0; ; attempt++) {
        let refused: StateItem | undefined;
        try {
          await conditional(() =>
            client.send(
              new UpdateCommand({
                TableName,
                Key,
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
                UpdateExpression: 'SET #holder = :until, #ttl = :expires ADD #count :one, #version :one',
                // A missing count is a new item (or one only a throttle wrote): no holder yet.
                ConditionExpression:
                  '(attribute_not_exists(#count) OR #count < :limit)' +
                  ' AND (attribute_not_exists(#paused) OR #paused <= :now)' +
                  ' AND (attribute_not_exists(#reducedUntil) OR #reducedUntil <= :now' +
                  ' OR attribute_not_exists(#count) OR #count < #reducedLimit)',
                ExpressionAttributeNames: {
                  '#holder': `${LEASE_HOLDER_PREFIX}${request.holder}`,
                  '#ttl': TTL,
                  '#count': LEASE_COUNT,
                  '#version': VERSION,
                  '#paused': 'pausedUntil',
                  '#reducedUntil': 'reducedUntil',
                  '#reducedLimit': 'reducedLimit',
                },
                ExpressionAttributeValues: {
                  ':until': request.until,
                  ':expires': leaseItemExpiry(request.until),
                  ':one': 1,
                  ':limit': request.limit,
                  ':now': request.now,
                },
              }),
            ),
          );
          return { acquired: true };
        } catch (error) {
          if (!isConditionFailed(error)) throw error;
          refused = itemOfRefusal(error);
        }
        // DynamoDB returns the item with the refusal; an emulator without that feature costs a read.
        const item =
          refused ??
          ((await client.send(new GetCommand({ TableName, Key, ConsistentRead: true }))).Item as
            | StateItem
            | undefined);
        const lapsed = [...leaseHolders(item)].filter(([, until]) => until <= request.now).map(([h]) => h);
        const paused = typeof item?.pausedUntil === 'number' && item.pausedUntil > request.now;
        if (paused || lapsed.length === 0 || attempt >= 2) return leaseRefusal(item, request.now);
        await dropLapsed(key, lapsed).catch((error: unknown) => {
          // Another acquirer dropped them first: the next attempt sees its result.
          if (!isConditionFailed(error)) throw error;
        });
      }
    },

    async releaseLease(key, holder) {
      assertValidKey(key);
      try {
        await conditional(() =>
          client.send(
            new UpdateCommand({
              TableName,
              Key: { [PK]: key.pk, [SK]: key.sk },
              UpdateExpression: 'REMOVE #holder ADD #count :release, #version :one',
              ConditionExpression: 'attribute_exists(#holder)',
              ExpressionAttributeNames: {
                '#holder': `${LEASE_HOLDER_PREFIX}${holder}`,
                '#count': LEASE_COUNT,
                '#version': VERSION,
              },
              ExpressionAttributeValues: { ':release': -1, ':one': 1 },
            }),
          ),
        );
        return true;
      } catch (error) {
        if (isConditionFailed(error)) return false;
        throw error;
      }
    },

    async query(input) {
      const limit = queryLimit(input.limit);
      const onIndex = input.index === 'gsi1';
      const names: Record<string, string> = {
        '#pk': onIndex ? gsi1.partitionKey : PK,
        '#sk': onIndex ? gsi1.sortKey : SK,
        '#ttl': TTL,
      };
      const values: Record<string, unknown> = { ':pk': input.pk, ':now': epochSeconds(now()) };
      let keyCondition = '#pk = :pk';
      if (input.sk) keyCondition += ` AND ${sortKeyExpression(input.sk, values)}`;
      const request: QueryCommandInput = {
        TableName,
        KeyConditionExpression: keyCondition,
        FilterExpression: 'attribute_not_exists(#ttl) OR #ttl > :now',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        Limit: limit,
        ScanIndexForward: !input.descending,
      };
      if (onIndex) request.IndexName = gsi1.indexName;
      if (input.cursor !== undefined) request.ExclusiveStartKey = decodeCursor(input.cursor);
      // Without a sort key condition the sk reference would be unused, which DynamoDB rejects.
      if (!input.sk) delete names['#sk'];
      const { Items = [], LastEvaluatedKey } = await client.send(new QueryCommand(request));
      return {
        items: Items as StateItem[],
        ...(LastEvaluatedKey ? { cursor: encodeCursor(LastEvaluatedKey) } : {}),
      };
    },
  };
}

function sortKeyExpression(condition: SortKeyCondition, values: Record<string, unknown>): string {
  if ('eq' in condition) {
    values[':sk'] = condition.eq;
    return '#sk = :sk';
  }
  if ('beginsWith' in condition) {
    values[':sk'] = condition.beginsWith;
    return 'begins_with(#sk, :sk)';
  }
  if ('between' in condition) {
    values[':sk'] = condition.between[0];
    values[':sk2'] = condition.between[1];
    return '#sk BETWEEN :sk AND :sk2';
  }
  const [operator, value] =
    'gt' in condition
      ? ['>', condition.gt]
      : 'gte' in condition
        ? ['>=', condition.gte]
        : 'lt' in condition
          ? ['<', condition.lt]
          : ['<=', condition.lte];
  values[':sk'] = value;
  return `#sk ${operator} :sk`;
}

function removeUndefined(item: StateItem): StateItem {
  const copy = { ...item };
  for (const [name, value] of Object.entries(copy)) if (value === undefined) delete copy[name];
  return copy;
}

// The cursor is DynamoDB's LastEvaluatedKey (key strings only), base64url JSON.
function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

const CURSOR_ATTRIBUTES = new Set<string>([PK, SK, gsi1.partitionKey, gsi1.sortKey]);

function decodeCursor(cursor: string): Record<string, string> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (cause) {
    throw new InvalidCursorError({ cause });
  }
  if (
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value) ||
    !Object.entries(value).every(([k, v]) => CURSOR_ATTRIBUTES.has(k) && typeof v === 'string')
  ) {
    throw new InvalidCursorError();
  }
  return value as Record<string, string>;
}
