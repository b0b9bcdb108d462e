import { CeqlSyntaxError } from './errors';

/**
 * Tokens of CEQL. Keywords are case-insensitive and
 * recognised from bare words; a field that collides with a keyword is written in back-ticks.
 */
export type TokenKind =
  | 'identifier'
  | 'string'
  | 'number'
  | 'date'
  | 'keyword'
  | 'operator'
  | 'lparen'
  | 'rparen'
  | 'comma'
  | 'end';

export const KEYWORDS = [
  'AND',
  'OR',
  'NOT',
  'IN',
  'LIKE',
  'IS',
  'NULL',
  'TRUE',
  'FALSE',
  'ASC',
  'DESC',
] as const;
export type Keyword = (typeof KEYWORDS)[number];

export interface Token {
  kind: TokenKind;
  /** Identifier name (unquoted), string content (unescaped), number/date text, upper-case keyword, operator. */
  value: string;
  /** 0-based offset of the first character. */
  position: number;
  /** The token as written, for error messages. */
  text: string;
}

const KEYWORD_SET = new Set<string>(KEYWORDS);
const WHITESPACE = /\s/;
const BARE_START = /[A-Za-z_]/;
const BARE_PART = /[A-Za-z0-9_.]/;
const DIGIT = /[0-9]/;
/** ISO 8601 date, optionally with a time and a zone (`Z`, `+02:00`, `-0700`). */
const DATE = /\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?/y;
const NUMBER = /-?\d+(?:\.\d+)?/y;

export function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, value: string, start: number, end: number) => {
    tokens.push({ kind, value, position: start, text: input.slice(start, end) });
    i = end;
  };
  while (i < input.length) {
    const c = input[i]!;
    if (WHITESPACE.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === "'" || c === '`') {
      // Single-quoted strings and back-ticked names; the delimiter is escaped by doubling it ('' and ``).
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= input.length) {
          throw new CeqlSyntaxError(
            c === "'" ? 'Unterminated string starting' : 'Unterminated back-ticked name starting',
            start,
          );
        }
        const d = input[j]!;
        if (d === c) {
          if (input[j + 1] === c) {
            value += c;
            j += 2;
            continue;
          }
          break;
        }
        value += d;
        j++;
      }
      if (c === '`' && value === '') throw new CeqlSyntaxError('Empty back-ticked name', start);
      push(c === "'" ? 'string' : 'identifier', value, start, j + 1);
      continue;
    }
    if (DIGIT.test(c) || (c === '-' && DIGIT.test(input[i + 1] ?? ''))) {
      DATE.lastIndex = i;
      const date = c === '-' ? null : DATE.exec(input);
      if (date) {
        push('date', date[0], start, i + date[0].length);
      } else {
        NUMBER.lastIndex = i;
        const number = NUMBER.exec(input)!;
        push('number', number[0], start, i + number[0].length);
      }
      // `12abc` is neither a number nor a name.
      if (i < input.length && BARE_PART.test(input[i]!)) {
        throw new CeqlSyntaxError(`Unexpected character '${input[i]}'`, i);
      }
      continue;
    }
    if (BARE_START.test(c)) {
      let j = i + 1;
      while (j < input.length && BARE_PART.test(input[j]!)) j++;
      const word = input.slice(i, j);
      const upper = word.toUpperCase();
      if (KEYWORD_SET.has(upper)) push('keyword', upper, start, j);
      else push('identifier', word, start, j);
      continue;
    }
    const two = input.slice(i, i + 2);
    if (two === '<=' || two === '>=' || two === '!=') {
      push('operator', two, start, i + 2);
      continue;
    }
    if (c === '=' || c === '<' || c === '>') {
      push('operator', c, start, i + 1);
      continue;
    }
    if (c === '(') {
      push('lparen', c, start, i + 1);
      continue;
    }
    if (c === ')') {
      push('rparen', c, start, i + 1);
      continue;
    }
    if (c === ',') {
      push('comma', c, start, i + 1);
      continue;
    }
    throw new CeqlSyntaxError(`Unexpected character '${c}'`, i);
  }
  tokens.push({ kind: 'end', value: '', position: input.length, text: '' });
  return tokens;
}
