import fc from 'fast-check';
import type { ComparisonOperator, Expression, Literal, Predicate } from './ceql';

/** Literal positions are irrelevant to the generators; the parser fills them in. */
const at = 0;

const COMPARISONS: ComparisonOperator[] = ['=', '!=', '<', '<=', '>', '>='];

const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, '0'));

/** Any text a date token lexes as: `yyyy-MM-dd[Thh:mm[:ss[.f]][zone]]` (not necessarily a real date). */
export const isoText = fc
  .tuple(
    fc.integer({ min: 1000, max: 9999 }),
    two(12),
    two(31),
    fc.option(
      fc.tuple(
        two(23),
        two(59),
        fc.option(fc.tuple(two(59), fc.option(fc.stringMatching(/^\d{1,3}$/)))),
        fc.option(fc.constantFrom('Z', '+02:00', '-0700', '+00:00')),
      ),
    ),
  )
  .map(([y, m, d, time]) => {
    let text = `${y}-${m}-${d}`;
    if (time) {
      const [h, mi, sec, zone] = time;
      text += `T${h}:${mi}`;
      if (sec) text += `:${sec[0]}${sec[1] ? `.${sec[1]}` : ''}`;
      if (zone) text += zone;
    }
    return text;
  });

const numberText = fc
  .tuple(fc.boolean(), fc.nat(), fc.option(fc.stringMatching(/^\d{1,4}$/)))
  .map(([negative, whole, fraction]) => `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`);

export const anyLiteral: fc.Arbitrary<Literal> = fc.oneof(
  fc
    .string({ unit: 'grapheme', maxLength: 12 })
    .map((value) => ({ kind: 'string' as const, value, position: at })),
  fc.string({ maxLength: 8 }).map((value) => ({ kind: 'string' as const, value, position: at })),
  numberText.map((value) => ({ kind: 'number' as const, value, position: at })),
  fc.boolean().map((value) => ({ kind: 'boolean' as const, value, position: at })),
  isoText.map((value) => ({ kind: 'date' as const, value, position: at })),
);

/** Field names: bare, dotted, keyword-like and arbitrary (printed back-ticked). */
export const anyField = fc.oneof(
  fc.stringMatching(/^[A-Za-z_]\w{0,8}(\.\w{1,6}){0,2}$/),
  fc.constantFrom('in', 'AND', 'or', 'null', 'Desc', 'true', 'caller_id.email'),
  fc.string({ minLength: 1, maxLength: 10 }),
);

/** Any predicate the grammar can express. */
export const anyPredicate = (field: fc.Arbitrary<string>, literal: fc.Arbitrary<Literal>) =>
  fc.oneof(
    fc
      .tuple(field, fc.constantFrom(...COMPARISONS), literal)
      .map(
        ([f, operator, value]): Predicate => ({ kind: 'compare', field: f, position: at, operator, value }),
      ),
    fc.tuple(field, fc.boolean(), fc.string({ maxLength: 10 })).map(
      ([f, negated, pattern]): Predicate => ({
        kind: 'like',
        field: f,
        position: at,
        negated,
        pattern,
        patternPosition: at,
      }),
    ),
    fc
      .tuple(field, fc.boolean(), fc.array(literal, { minLength: 1, maxLength: 4 }))
      .map(([f, negated, values]): Predicate => ({ kind: 'in', field: f, position: at, negated, values })),
    fc
      .tuple(field, fc.boolean())
      .map(([f, negated]): Predicate => ({ kind: 'null', field: f, position: at, negated })),
  );

/**
 * Normalised expressions (what the parser produces): n-ary AND/OR with 2+ operands, never an AND
 * directly inside an AND nor an OR inside an OR.
 */
export function anyExpression(predicate: fc.Arbitrary<Predicate>, maxDepth = 3): fc.Arbitrary<Expression> {
  const build = (depth: number, parent: 'and' | 'or' | undefined): fc.Arbitrary<Expression> => {
    if (depth === 0) return predicate;
    const kinds = (['and', 'or'] as const).filter((kind) => kind !== parent);
    return fc.oneof(
      { weight: 2, arbitrary: predicate },
      ...kinds.map((kind) => ({
        weight: 1,
        arbitrary: fc
          .array(build(depth - 1, kind), { minLength: 2, maxLength: 3 })
          .map((operands): Expression => ({ kind, operands })),
      })),
    );
  };
  return build(maxDepth, undefined);
}
