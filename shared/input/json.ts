import { InvalidInputError, PayloadTooLargeError } from '../errors';
import { MAX_JSON_BODY_BYTES, MAX_JSON_DEPTH } from './limits';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * Whether JSON text nests arrays/objects deeper than `maxDepth`, found by one pass over the text
 * (brackets inside strings do not count), so a hostile document is refused before anything recurses
 * over it. Malformed text is not judged here: JSON.parse refuses it next.
 */
export const jsonNestsDeeperThan = (text: string, maxDepth: number): boolean => {
  // Each level needs its own opening bracket.
  if (text.length <= maxDepth) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === BACKSLASH) i++;
      else if (code === QUOTE) inString = false;
    } else if (code === QUOTE) inString = true;
    else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      if (++depth > maxDepth) return true;
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) depth--;
  }
  return false;
};

export interface UntrustedJsonOptions {
  /** Default MAX_JSON_DEPTH. */
  maxDepth?: number;
  /** Largest UTF-8 size of the text; default MAX_JSON_BODY_BYTES. */
  maxBytes?: number;
}

/**
 * JSON text from a caller, parsed within the depth and size limits: 413 past the size, 400 past the
 * depth or when malformed, each message naming `what` and the limit. The parser's own message is not
 * passed on: it quotes the text, which may hold a secret.
 */
export const parseUntrustedJson = (
  text: string,
  what: string,
  options: UntrustedJsonOptions = {},
): unknown => {
  const maxBytes = options.maxBytes ?? MAX_JSON_BODY_BYTES;
  // A UTF-16 unit is 1 to 3 UTF-8 bytes: the exact count is needed only in between.
  if (text.length > maxBytes || (text.length * 3 > maxBytes && Buffer.byteLength(text) > maxBytes)) {
    throw new PayloadTooLargeError(`${what} is larger than ${maxBytes} bytes`);
  }
  const maxDepth = options.maxDepth ?? MAX_JSON_DEPTH;
  if (jsonNestsDeeperThan(text, maxDepth)) {
    throw new InvalidInputError(`${what} nests arrays and objects deeper than ${maxDepth} levels`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidInputError(`Malformed JSON in ${what}`);
  }
};
