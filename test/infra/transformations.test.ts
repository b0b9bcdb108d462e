import { describe, expect, it } from 'vitest';
import { LAMBDA_FUNCTIONS, ROUTES } from '../../functions/routes';
import { TransformationsConstruct } from '../../infra/constructs';
import {
  arnOf,
  expectRoutesServedBy,
  instanceDataStatements,
  logicalId,
  statementsOfRole,
  synthesizeForSuite,
} from './synthesize';

const element = synthesizeForSuite();

const transformationsFunction = () => element.stack.api.functions.transformations;
const functionId = () => logicalId(element.stack, transformationsFunction().function);

describe('transformations construct', () => {
  it('gives the transformations function the state table items and the key, and no secret at all', () => {
    const { stack, template } = element;
    expect(stack.transformations).toBeInstanceOf(TransformationsConstruct);
    // grantInstanceData's statements without InstanceSecrets.
    const expected = instanceDataStatements(
      stack,
      logicalId(stack, transformationsFunction().logGroup),
      'unused',
    ).filter((statement) => !('Sid' in statement) || statement.Sid !== 'InstanceSecrets');
    const statements = statementsOfRole(template, functionId());
    expect(statements).toEqual(expected);
    expect(JSON.stringify(statements)).not.toMatch(/secretsmanager|sqs:|s3:/);
  });

  it('learns the table its one port needs, but no secret prefix, key id, queue or bucket', () => {
    const { stack, template } = element;
    const variables = template.findResources('AWS::Lambda::Function')[functionId()]?.Properties.Environment
      .Variables as Record<string, unknown>;
    expect(variables).toMatchObject({
      ELEMENT_MODE: 'aws',
      ELEMENT_STATE_TABLE: { Ref: logicalId(stack, stack.foundation.state.table) },
    });
    for (const name of [
      'ELEMENT_SECRET_PREFIX',
      'ELEMENT_KMS_KEY_ID',
      'ELEMENT_BULK_BUCKET',
      'ELEMENT_BULK_QUEUE_URL',
      'ELEMENT_EVENTS_QUEUE_URL',
    ]) {
      expect(variables[name], name).toBeUndefined();
    }
    expect(LAMBDA_FUNCTIONS.transformations.timeoutSeconds).toBeLessThanOrEqual(29);
  });

  it('serves every transformations route behind the platform authorizer', () => {
    const { stack, template } = element;
    const routes = ROUTES.filter((route) => route.functionName === 'transformations');
    expect(routes.length).toBeGreaterThanOrEqual(30);
    for (const route of routes) expect(route.auth, route.path).toBe('platform');
    expectRoutesServedBy(template, routes, functionId(), 'platform-authorizer');
    expect(stack.api.functions.transformations).toBeDefined();
  });

  it('lets every function that applies transformations read them from the state table', () => {
    const { stack, template } = element;
    const table = arnOf(logicalId(stack, stack.foundation.state.table));
    const readers = {
      hub: stack.api.functions.hub,
      bulk: stack.api.functions.bulk,
      bulkWorker: stack.bulk.worker,
      eventsPoller: stack.events.poller,
      eventsDispatcher: stack.events.dispatcher,
      transformations: stack.api.functions.transformations,
    };
    for (const [name, fn] of Object.entries(readers)) {
      const tableStatement = statementsOfRole(template, logicalId(stack, fn.function)).find(
        (statement) => (statement as { Sid?: string }).Sid === 'StateTableItems',
      ) as { Action: string[]; Resource: unknown[] } | undefined;
      expect(tableStatement?.Action, name).toEqual(
        expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query']),
      );
      expect(tableStatement?.Resource, name).toContainEqual(table);
    }
  });
});
