/** One import point for the CEQL tests: the public surface, plus the error base the API renders. */

export type { ElementError as ElementErrorLike } from '../../../shared/errors';
export * from '../../../shared/hub/ceql';
