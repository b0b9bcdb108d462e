import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ElementError } from '../../shared/errors';
import { type PageCursor, pageTokenKey, signPageToken, verifyPageToken } from '../../shared/hub/page-token';

const key = pageTokenKey('element-token-of-instance-1');
const scope = { instanceId: 1, table: 'incident', query: 'ks|active=true|ORDERBYsys_id' };
const sysId = fc.stringMatching(/^[0-9a-f]{32}$/);
const cursor: fc.Arbitrary<PageCursor> = fc.oneof(
  fc.record({ kind: fc.constant('keyset' as const), after: sysId, skip: fc.nat({ max: 1_000_000 }) }),
  fc.record({ kind: fc.constant('keyset' as const), skip: fc.nat({ max: 1_000_000 }) }),
  fc.record({ kind: fc.constant('offset' as const), offset: fc.nat({ max: 1_000_000 }) }),
  // A page that ended early at the byte bound: the rows of the window already returned.
  fc.record({
    kind: fc.constant('offset' as const),
    offset: fc.nat({ max: 1_000_000 }),
    drop: fc.integer({ min: 1, max: 5_000 }),
  }),
);
const refused = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return error instanceof ElementError && error.status === 400;
  }
  return false;
};

describe('page tokens', () => {
  it('round-trip any cursor for the same key and scope', () => {
    fc.assert(
      fc.property(cursor, (c) => {
        expect(verifyPageToken(key, scope, signPageToken(key, scope, c))).toEqual(c);
      }),
    );
  });

  it('derive the same key for a token every time, however callers treat the keys they got', () => {
    const expected = createHmac('sha256', 'element-token-x')
      .update('snow-element/hub/page-token/v1')
      .digest();
    const first = pageTokenKey('element-token-x');
    expect(first.equals(expected)).toBe(true);
    first.fill(0);
    expect(pageTokenKey('element-token-x').equals(expected)).toBe(true);
    expect(pageTokenKey('element-token-y').equals(expected)).toBe(false);
    // Issued and verified across many scopes, including ones longer than the remembered ones.
    for (let i = 0; i < 50; i++) {
      const wide = { instanceId: i, table: 'incident', query: `ks|${'x'.repeat(i * 100)}|ORDERBYsys_id` };
      const token = signPageToken(key, wide, { kind: 'offset', offset: i });
      expect(verifyPageToken(key, wide, token)).toEqual({ kind: 'offset', offset: i });
      expect(refused(() => verifyPageToken(key, { ...wide, instanceId: i + 1 }, token))).toBe(true);
    }
  });

  it('refuse any single-character change, and tokens of another instance, table or query', () => {
    fc.assert(
      fc.property(cursor, fc.nat(), fc.constantFrom(...'AQw_-9.'), (c, at, ch) => {
        const token = signPageToken(key, scope, c);
        const i = at % token.length;
        fc.pre(token[i] !== ch);
        const edited = `${token.slice(0, i)}${ch}${token.slice(i + 1)}`;
        expect(refused(() => verifyPageToken(key, scope, edited))).toBe(true);
      }),
    );
    const token = signPageToken(key, scope, { kind: 'offset', offset: 200 });
    for (const other of [
      { ...scope, instanceId: 2 },
      { ...scope, table: 'problem' },
      { ...scope, query: 'ks|active=false|ORDERBYsys_id' },
    ]) {
      expect(refused(() => verifyPageToken(key, other, token))).toBe(true);
    }
    expect(refused(() => verifyPageToken(pageTokenKey('another-element-token'), scope, token))).toBe(true);
    // Every spelling of the signature's last character decodes to some bytes; only the issued one passes.
    const [payload, signature = ''] = token.split('.');
    const last = signature.at(-1);
    for (const ch of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_') {
      if (ch === last) continue;
      expect(refused(() => verifyPageToken(key, scope, `${payload}.${signature.slice(0, -1)}${ch}`))).toBe(
        true,
      );
    }
    for (const garbage of ['', '.', 'abc', 'a.b.c', `${'x'.repeat(600)}.y`, '%%%.###']) {
      expect(refused(() => verifyPageToken(key, scope, garbage))).toBe(true);
    }
  });

  it('refuse well-signed cursors that could inject into the query (defence in depth)', () => {
    const mint = (payload: unknown) => {
      // Sign an arbitrary payload with the real key, as a holder of the element token could.
      const valid = signPageToken(key, scope, { kind: 'offset', offset: 1 });
      const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
      const scopeHash = createHash('sha256')
        .update(JSON.stringify([scope.instanceId, scope.table, scope.query]))
        .digest('base64url');
      const mac = createHmac('sha256', key).update(`${body}|${scopeHash}`).digest('base64url');
      expect(valid).toContain('.');
      return `${body}.${mac}`;
    };
    expect(verifyPageToken(key, scope, mint({ k: 'of', o: 5 }))).toEqual({ kind: 'offset', offset: 5 });
    for (const payload of [
      { k: 'ks', a: 'x^ORDERBYDESCsys_id', s: 0 },
      { k: 'ks', a: '0123456789abcdef0123456789abcdef^NQactive=false', s: 0 },
      { k: 'ks', s: -1 },
      { k: 'of', o: 1.5 },
      { k: 'of', o: 1e12 },
      { k: 'zz' },
      [],
    ]) {
      expect(
        refused(() => verifyPageToken(key, scope, mint(payload))),
        JSON.stringify(payload),
      ).toBe(true);
    }
  });
});
