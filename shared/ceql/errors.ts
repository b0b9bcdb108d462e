import { InvalidInputError } from '../errors';

/**
 * A `where` or `orderBy` the hub refuses. Always a 400; the
 * message names the 0-based position in the text the caller sent, so it can be fixed without guessing.
 */
export class CeqlError extends InvalidInputError {
  readonly position: number | undefined;

  constructor(message: string, position?: number) {
    super(message);
    this.name = 'CeqlError';
    this.position = position;
  }
}

/** The text is not valid CEQL (lexing or parsing). */
export class CeqlSyntaxError extends CeqlError {
  /** `expected` is appended as a hint: "Unexpected token ')' at position 17; expected a value". */
  constructor(message: string, position: number, expected?: string) {
    super(`${message} at position ${position}${expected ? `; expected ${expected}` : ''}`, position);
    this.name = 'CeqlSyntaxError';
  }
}

/**
 * Valid CEQL that cannot be sent to ServiceNow safely or exactly (unknown field, unsafe value, too
 * complex). The message already names the position where there is one.
 */
export class CeqlTranslationError extends CeqlError {
  constructor(message: string, position?: number) {
    super(message, position);
    this.name = 'CeqlTranslationError';
  }
}
