import { Logger } from '@aws-lambda-powertools/logger';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import { redactingReplacer } from './redact';

export interface CreateLoggerOptions {
  /**
   * The `service` key when `POWERTOOLS_SERVICE_NAME` is unset (local mode, tests); the variable the
   * stack sets for each function always wins. Default `snow-element`.
   */
  serviceName?: string;
  /** Defaults to `LOG_LEVEL` / `POWERTOOLS_LOG_LEVEL`, then INFO. */
  logLevel?: LogLevel;
}

/**
 * A structured JSON logger whose serializer redacts credentials at every depth (see redact.ts).
 * Log facts (ids, statuses, durations), never whole events or request bodies.
 */
export const createLogger = (options: CreateLoggerOptions = {}): Logger =>
  new Logger({
    // Powertools reads POWERTOOLS_SERVICE_NAME itself when no name is passed.
    ...(process.env.POWERTOOLS_SERVICE_NAME ? {} : { serviceName: options.serviceName ?? 'snow-element' }),
    ...(options.logLevel ? { logLevel: options.logLevel } : {}),
    jsonReplacerFn: redactingReplacer,
  });

export type { Logger };
