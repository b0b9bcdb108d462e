import { describe, expect, it } from 'vitest';
import { ANY_HUB_PREFIX, HUB_PREFIX, LAMBDA_FUNCTIONS, ROUTES } from '../../functions/routes';
import { HUB_PAYLOAD_LIMITS, HubConstruct } from '../../infra/constructs';
import {
  bareStack,
  expectRoutesServedBy,
  instanceDataStatements,
  logicalId,
  removedAfterSuite,
  statementsOfRole,
  synthesizeForSuite,
  testOutdir,
  wireApi,
} from './synthesize';

const element = synthesizeForSuite();
/** Folders of the extra apps some tests synthesize. */
const removeAfterSuite = removedAfterSuite();

describe('hub construct', () => {
  it('gives the hub function table items, instance secrets Get/Put only and the key, nothing more', () => {
    const { stack, template } = element;
    const hub = stack.api.functions.hub;
    expect(stack.hub).toBeInstanceOf(HubConstruct);
    expect(statementsOfRole(template, logicalId(stack, hub.function))).toEqual(
      instanceDataStatements(stack, logicalId(stack, hub.logGroup), [
        'secretsmanager:GetSecretValue',
        'secretsmanager:PutSecretValue',
      ]),
    );
  });

  it('owns the hub grants: without it the hub function may only write its logs', () => {
    const build = (withHub: boolean) => {
      const outdir = removeAfterSuite(testOutdir(withHub ? 'hub-with' : 'hub-without'));
      const stack = bareStack(outdir, 'HubOwnership');
      const { api, template } = wireApi(stack, { hub: withHub });
      const hubId = logicalId(stack, api.functions.hub.function);
      return {
        statements: statementsOfRole(template, hubId),
        variables: template.findResources('AWS::Lambda::Function')[hubId]?.Properties.Environment.Variables,
      };
    };
    const without = build(false);
    expect(without.statements).toHaveLength(1);
    expect(JSON.stringify(without.statements)).not.toContain('secretsmanager');
    expect(without.variables.ELEMENT_SECRET_PREFIX).toBeUndefined();
    const withHub = build(true);
    expect(JSON.stringify(withHub.statements)).toContain('secretsmanager:PutSecretValue');
    expect(JSON.stringify(withHub.statements)).not.toMatch(
      /CreateSecret|DeleteSecret|RestoreSecret|TagResource/,
    );
    expect(withHub.variables.ELEMENT_SECRET_PREFIX).toBe('snow-element/HubOwnership/');
  });

  it('serves every hub route of ROUTES, under both prefixes, from one function behind the hub authorizer', () => {
    const { stack, template } = element;
    const hubRoutes = ROUTES.filter((route) => route.functionName === 'hub');
    expect(hubRoutes.every((route) => route.auth === 'hub')).toBe(true);
    // Bulk routes are hub routes too, served by the bulk function (test/infra/bulk.test.ts), and so are
    // the routes on "the current instance" of the token, served by the instances and events functions.
    expect(
      ROUTES.filter((route) => route.auth === 'hub').every(
        (route) =>
          route.functionName === 'hub' ||
          route.functionName === 'bulk' ||
          ((route.functionName === 'instances' || route.functionName === 'events') &&
            route.path.startsWith('/instances')),
      ),
    ).toBe(true);
    // Each hub path exists with /hubs/helpdesk, with any hub name and without (the hub ping not bare).
    for (const route of hubRoutes.filter((candidate) => !candidate.path.startsWith('/hubs/'))) {
      for (const prefix of [HUB_PREFIX, ANY_HUB_PREFIX]) {
        expect(
          hubRoutes.some((other) => other.method === route.method && other.path === `${prefix}${route.path}`),
        ).toBe(true);
      }
    }
    expectRoutesServedBy(
      template,
      hubRoutes,
      logicalId(stack, stack.api.functions.hub.function),
      'hub-authorizer',
    );
    expect(LAMBDA_FUNCTIONS.hub.timeoutSeconds).toBeLessThanOrEqual(29);
  });

  it("keeps the functions' attachment limit inside the Lambda payload once base64-encoded, with room for framing", () => {
    const { attachmentBytes, lambdaSyncPayloadBytes, httpApiRequestBytes } = HUB_PAYLOAD_LIMITS;
    expect(lambdaSyncPayloadBytes).toBe(6 * 1024 * 1024);
    expect(httpApiRequestBytes).toBe(10 * 1024 * 1024);
    expect(Math.ceil(attachmentBytes / 3) * 4 + 64 * 1024).toBeLessThan(lambdaSyncPayloadBytes);
  });
});
