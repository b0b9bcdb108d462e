/** One import point for the CEQL tests: the public surface, plus the error base the API renders. */

export * from '../../../shared/ceql';
export type { ElementError as ElementErrorLike } from '../../../shared/errors';
