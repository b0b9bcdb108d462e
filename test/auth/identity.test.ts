import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  clearTokenCache,
  hashElementToken,
  invalidateToken,
  resolveIdentity,
  stateTableTokenLookup,
  UNAUTHORIZED_MESSAGE,
} from '../../shared/auth';
import { ALICE, ALICE_TOKEN, BOB, BOB_TOKEN, fakeTable, ORG, secretsProvider, tokenItem } from './fixtures';

const DENY = { outcome: 'deny', status: 401, message: UNAUTHORIZED_MESSAGE };

let table: ReturnType<typeof fakeTable>;
let time = 0;
const resolve = (header: string | undefined, kind: 'platform' | 'hub') =>
  resolveIdentity(header, kind, {
    secrets: secretsProvider,
    lookupToken: stateTableTokenLookup(table, { now: () => time }),
  });

beforeEach(() => {
  clearTokenCache();
  time = 0;
  table = fakeTable([tokenItem(ALICE_TOKEN, 7, 'alice'), tokenItem(BOB_TOKEN, 8, 'bob')]);
});

describe('platform identity (User + Organization)', () => {
  it.each([
    ['canonical', `User ${ALICE}, Organization ${ORG}`],
    ['reversed', `Organization ${ORG}, User ${ALICE}`],
    ['keywords in any case', `user ${ALICE}, ORGANIZATION ${ORG}`],
    ['extra whitespace and tabs', `  User\t ${ALICE} ,   Organization   ${ORG}  `],
    ['no space after the comma', `User ${ALICE},Organization ${ORG}`],
  ])('allows the first user: %s', async (_, header) => {
    await expect(resolve(header, 'platform')).resolves.toEqual({
      outcome: 'allow',
      kind: 'platform',
      userId: 'alice',
    });
  });

  it('allows the second user of a multi-user list as that user', async () => {
    await expect(resolve(`User ${BOB}, Organization ${ORG}`, 'platform')).resolves.toEqual({
      outcome: 'allow',
      kind: 'platform',
      userId: 'bob',
    });
  });

  it("passes on the instance of an Element part that is the user's own (CE current-instance calls)", async () => {
    await expect(
      resolve(`Element ${ALICE_TOKEN}, User ${ALICE}, Organization ${ORG}`, 'platform'),
    ).resolves.toEqual({ outcome: 'allow', kind: 'platform', userId: 'alice', instanceId: 7 });
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['only the user', `User ${ALICE}`],
    ['only the organization', `Organization ${ORG}`],
    ['the wrong organization', `User ${ALICE}, Organization not-the-org`],
    ['an unknown user', `User mallory-secret, Organization ${ORG}`],
    ['the org secret as user secret', `User ${ORG}, Organization ${ORG}`],
    ['a user id instead of its secret', `User alice, Organization ${ORG}`],
    ['user and org swapped', `User ${ORG}, Organization ${ALICE}`],
    ['a duplicated User part', `User ${ALICE}, User ${ALICE}, Organization ${ORG}`],
    [
      'a duplicated header (comma-joined)',
      `User ${ALICE}, Organization ${ORG},User ${ALICE}, Organization ${ORG}`,
    ],
    ['a trailing comma', `User ${ALICE}, Organization ${ORG},`],
    ['a keyword without value', `User , Organization ${ORG}`],
    ['an unknown keyword', `User ${ALICE}, Organization ${ORG}, Admin yes`],
    ['a Bearer token', `Bearer ${ALICE}`],
    ['Basic auth', `Basic ${Buffer.from(`${ALICE}:${ORG}`).toString('base64')}`],
    ['a secret with a suffix', `User ${ALICE}x, Organization ${ORG}`],
    ['a secret prefix', `User ${ALICE.slice(0, -1)}, Organization ${ORG}`],
    ['garbage', '\u0000\u00ff,,;:=='],
    ["another user's element token", `User ${ALICE}, Organization ${ORG}, Element ${BOB_TOKEN}`],
    ['an unknown element token', `User ${ALICE}, Organization ${ORG}, Element nope`],
  ])('denies %s with the one CE 401', async (_, header) => {
    await expect(resolve(header, 'platform')).resolves.toEqual(DENY);
  });
});

describe('hub identity (User + Element [+ Organization])', () => {
  it.each([
    ['User, Element', `User ${ALICE}, Element ${ALICE_TOKEN}`],
    ['Element, User', `Element ${ALICE_TOKEN}, User ${ALICE}`],
    ['with the organization', `User ${ALICE}, Organization ${ORG}, Element ${ALICE_TOKEN}`],
    ['all three, shuffled', `Organization ${ORG}, Element ${ALICE_TOKEN}, User ${ALICE}`],
    ['odd whitespace and case', ` element   ${ALICE_TOKEN},USER\t${ALICE} `],
  ])('resolves user and instance: %s', async (_, header) => {
    await expect(resolve(header, 'hub')).resolves.toEqual({
      outcome: 'allow',
      kind: 'hub',
      userId: 'alice',
      instanceId: 7,
    });
  });

  it('resolves the second user of the list with its own instance', async () => {
    await expect(resolve(`User ${BOB}, Element ${BOB_TOKEN}`, 'hub')).resolves.toEqual({
      outcome: 'allow',
      kind: 'hub',
      userId: 'bob',
      instanceId: 8,
    });
  });

  it.each([
    ['no Element part', `User ${ALICE}, Organization ${ORG}`],
    ['no User part', `Element ${ALICE_TOKEN}, Organization ${ORG}`],
    ['only the token', `Element ${ALICE_TOKEN}`],
    ["another user's token", `User ${ALICE}, Element ${BOB_TOKEN}`],
    ["the token's owner's secret with the wrong user", `User ${BOB}, Element ${ALICE_TOKEN}`],
    ['an unknown token', `User ${ALICE}, Element unknown-token`],
    ['the token hash instead of the token', `User ${ALICE}, Element ${hashElementToken(ALICE_TOKEN)}`],
    [
      'a wrong organization (present, so it must match)',
      `User ${ALICE}, Organization bad, Element ${ALICE_TOKEN}`,
    ],
    ['a duplicated Element part', `User ${ALICE}, Element ${ALICE_TOKEN}, Element ${ALICE_TOKEN}`],
    ['a wrong user secret', `User nope, Element ${ALICE_TOKEN}`],
  ])('denies %s', async (_, header) => {
    await expect(resolve(header, 'hub')).resolves.toEqual(DENY);
  });
});

describe('token lookup cache', () => {
  it('reads the index item once per TTL, then again', async () => {
    const header = `User ${ALICE}, Element ${ALICE_TOKEN}`;
    await resolve(header, 'hub');
    await resolve(header, 'hub');
    expect(table.reads).toBe(1);
    time = 10_001;
    await resolve(header, 'hub');
    expect(table.reads).toBe(2);
  });

  it('forgets a deleted token at once when invalidated in the same process', async () => {
    const header = `User ${ALICE}, Element ${ALICE_TOKEN}`;
    expect((await resolve(header, 'hub')).outcome).toBe('allow');
    // What the instances code does on DELETE: remove the index item, then invalidate.
    table.items.clear();
    expect((await resolve(header, 'hub')).outcome).toBe('allow'); // still cached
    invalidateToken(hashElementToken(ALICE_TOKEN));
    await expect(resolve(header, 'hub')).resolves.toEqual(DENY);
  });

  it('ignores index items that do not have the contract shape', async () => {
    table.items.set(`TOKEN#${hashElementToken('odd')}|TOKEN`, {
      pk: `TOKEN#${hashElementToken('odd')}`,
      sk: 'TOKEN',
      instanceId: '7',
      ownerUserId: 'alice',
    });
    await expect(resolve(`User ${ALICE}, Element odd`, 'hub')).resolves.toEqual(DENY);
  });
});

describe('header fuzz', () => {
  const parts = fc.constantFrom<string>(
    `User ${ALICE}`,
    `Organization ${ORG}`,
    `Element ${ALICE_TOKEN}`,
    `Element ${BOB_TOKEN}`,
    `User ${BOB}`,
  );

  it('never allows or throws on random strings', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'binary', maxLength: 300 }),
        fc.constantFrom('platform', 'hub'),
        async (header, kind) => {
          const decision = await resolve(header, kind as 'platform' | 'hub');
          expect(decision).toEqual(DENY);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never allows a mutated valid header and never throws', async () => {
    const valid = `User ${ALICE}, Organization ${ORG}, Element ${ALICE_TOKEN}`;
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: valid.length - 1 }),
        fc.string({ minLength: 1, maxLength: 3 }),
        async (position, insert) => {
          const mutated = `${valid.slice(0, position)}${insert}${valid.slice(position + 1)}`;
          const decision = await resolve(mutated, 'hub');
          if (decision.outcome === 'allow') {
            // Only mutations that leave the credentials intact may pass (whitespace, keyword case, commas).
            expect(mutated.toLowerCase().replace(/[\s,]/g, '')).toBe(
              valid.toLowerCase().replace(/[\s,]/g, ''),
            );
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('decides shuffled combinations of valid parts exactly by the rules', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(parts, { maxLength: 5 }),
        fc.constantFrom('platform', 'hub'),
        async (chosen, kind) => {
          const header = chosen.join(', ');
          const decision = await resolve(header, kind as 'platform' | 'hub');
          const unique = new Set(chosen.map((part) => part.split(' ')[0]));
          const has = (part: string) => chosen.includes(part);
          const users = chosen.filter((part) => part.startsWith('User')).length;
          const elements = chosen.filter((part) => part.startsWith('Element')).length;
          const wellFormed =
            unique.size === chosen.length && chosen.length > 0 && users === 1 && elements <= 1;
          let expected: string;
          if (!wellFormed) expected = 'deny';
          else {
            const user = has(`User ${ALICE}`) ? 'alice' : 'bob';
            const token = has(`Element ${ALICE_TOKEN}`)
              ? 'alice'
              : has(`Element ${BOB_TOKEN}`)
                ? 'bob'
                : undefined;
            const org = has(`Organization ${ORG}`);
            const tokenOk = token === undefined || token === user;
            expected =
              kind === 'platform'
                ? org && tokenOk
                  ? 'allow'
                  : 'deny'
                : token !== undefined && tokenOk
                  ? 'allow'
                  : 'deny';
          }
          expect(decision.outcome).toBe(expected);
        },
      ),
      { numRuns: 200 },
    );
  });
});
