import type { ComparisonOperator, Expression, Literal, OrderTerm, Predicate } from './ast';
import { CeqlSyntaxError } from './errors';
import { type Token, tokenize } from './lexer';

/** A bare field name: words joined by dots for dot-walking (`caller_id.email`). */
const BARE_FIELD = /^[A-Za-z_]\w*(?:\.\w+)*$/;

/** Limits recursion so a hostile `((((…` cannot blow the stack. */
const MAX_DEPTH = 64;

/**
 * Recursive-descent parser for CEQL `where` expressions:
 *
 *   where      := or END
 *   or         := and ( OR and )*
 *   and        := primary ( AND primary )*            AND binds tighter than OR, as in SQL
 *   primary    := '(' or ')' | predicate
 *   predicate  := field ( cmp literal | [NOT] LIKE string | [NOT] IN '(' literal (',' literal)* ')'
 *                        | IS [NOT] NULL )
 *   literal    := string | number | date | TRUE | FALSE
 *
 * Throws CeqlSyntaxError (400) naming the 0-based position of the offending token.
 */
export function parseWhere(input: string): Expression {
  const parser = new Parser(input);
  const expression = parser.or(0);
  parser.expectEnd('AND, OR or the end of the expression');
  return expression;
}

/** `field [asc|desc] (',' field [asc|desc])*` as in CE's `orderBy=MailingCity asc`. */
export function parseOrderBy(input: string): OrderTerm[] {
  const parser = new Parser(input);
  const terms: OrderTerm[] = [];
  for (;;) {
    const { field, position } = parser.field('a field name');
    let descending = false;
    if (parser.acceptKeyword('DESC')) descending = true;
    else parser.acceptKeyword('ASC');
    terms.push({ field, position, descending });
    if (!parser.accept('comma')) break;
  }
  parser.expectEnd("',' or the end of the orderBy");
  return terms;
}

class Parser {
  private readonly tokens: Token[];
  private index = 0;

  constructor(input: string) {
    this.tokens = tokenize(input);
  }

  private get current(): Token {
    return this.tokens[this.index]!;
  }

  private next(): Token {
    const token = this.current;
    if (token.kind !== 'end') this.index++;
    return token;
  }

  fail(expected: string, token: Token = this.current): never {
    if (token.kind === 'end') throw new CeqlSyntaxError('Unexpected end of input', token.position, expected);
    throw new CeqlSyntaxError(`Unexpected token '${shorten(token.text)}'`, token.position, expected);
  }

  accept(kind: Token['kind']): Token | undefined {
    return this.current.kind === kind ? this.next() : undefined;
  }

  acceptKeyword(keyword: string): boolean {
    if (this.current.kind === 'keyword' && this.current.value === keyword) {
      this.next();
      return true;
    }
    return false;
  }

  expectKeyword(keyword: string, expected: string): void {
    if (!this.acceptKeyword(keyword)) this.fail(expected);
  }

  expectEnd(expected: string): void {
    if (this.current.kind !== 'end') this.fail(expected);
  }

  or(depth: number): Expression {
    const operands = [this.and(depth)];
    while (this.acceptKeyword('OR')) operands.push(this.and(depth));
    return operands.length === 1 ? operands[0]! : { kind: 'or', operands: operands.flatMap(flatten('or')) };
  }

  and(depth: number): Expression {
    const operands = [this.primary(depth)];
    while (this.acceptKeyword('AND')) operands.push(this.primary(depth));
    return operands.length === 1 ? operands[0]! : { kind: 'and', operands: operands.flatMap(flatten('and')) };
  }

  primary(depth: number): Expression {
    const open = this.accept('lparen');
    if (open) {
      if (depth >= MAX_DEPTH) throw new CeqlSyntaxError('Parentheses nested too deeply', open.position);
      const inner = this.or(depth + 1);
      if (!this.accept('rparen')) this.fail("')'");
      return inner;
    }
    return this.predicate();
  }

  field(expected: string): { field: string; position: number } {
    const token = this.current;
    if (token.kind !== 'identifier') this.fail(expected);
    // Back-ticked names may hold any text (validated against metadata later); bare ones are dotted words.
    if (token.text[0] !== '`' && !BARE_FIELD.test(token.value)) {
      throw new CeqlSyntaxError(`Invalid field name '${token.value}'`, token.position);
    }
    this.next();
    return { field: token.value, position: token.position };
  }

  predicate(): Predicate {
    const { field, position } = this.field("a field name or '('");
    const token = this.current;
    if (token.kind === 'operator') {
      this.next();
      return {
        kind: 'compare',
        field,
        position,
        operator: token.value as ComparisonOperator,
        value: this.literal(),
      };
    }
    if (token.kind === 'keyword') {
      if (token.value === 'IS') {
        this.next();
        const negated = this.acceptKeyword('NOT');
        this.expectKeyword('NULL', negated ? 'NULL' : 'NULL or NOT NULL');
        return { kind: 'null', field, position, negated };
      }
      const negated = this.acceptKeyword('NOT');
      if (this.acceptKeyword('LIKE')) {
        const pattern = this.accept('string');
        if (!pattern) this.fail('a quoted LIKE pattern');
        return {
          kind: 'like',
          field,
          position,
          negated,
          pattern: pattern.value,
          patternPosition: pattern.position,
        };
      }
      if (this.acceptKeyword('IN')) {
        if (!this.accept('lparen')) this.fail("'(' after IN");
        const values = [this.literal()];
        while (this.accept('comma')) values.push(this.literal());
        if (!this.accept('rparen')) this.fail("',' or ')'");
        return { kind: 'in', field, position, negated, values };
      }
      if (negated) this.fail('LIKE or IN after NOT');
    }
    return this.fail('an operator (=, !=, <, <=, >, >=, LIKE, NOT LIKE, IN, NOT IN, IS NULL, IS NOT NULL)');
  }

  literal(): Literal {
    const token = this.current;
    switch (token.kind) {
      case 'string':
        this.next();
        return { kind: 'string', value: token.value, position: token.position };
      case 'number':
        this.next();
        return { kind: 'number', value: token.value, position: token.position };
      case 'date':
        this.next();
        return { kind: 'date', value: token.value, position: token.position };
      case 'keyword':
        if (token.value === 'TRUE' || token.value === 'FALSE') {
          this.next();
          return { kind: 'boolean', value: token.value === 'TRUE', position: token.position };
        }
        break;
    }
    return this.fail('a value (quoted string, number, date, true or false)');
  }
}

/** Keeps error messages short when the offending token is a long string. */
function shorten(text: string): string {
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

const flatten =
  (kind: 'and' | 'or') =>
  (expression: Expression): Expression[] =>
    expression.kind === kind ? expression.operands : [expression];
