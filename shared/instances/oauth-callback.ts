import { type CallbackQuery, type ConnectDeps, ConnectError, completeConnect } from './oauth-connect';

export interface CallbackLogger {
  info(message: string, fields: Record<string, unknown>): void;
  error(message: string, fields: Record<string, unknown>): void;
}

/**
 * Completes the instance an OAuth callback is for, and answers the console route the browser goes back
 * to: the instance on success, else a page naming the reason (never a secret, never ServiceNow's own
 * words). Refusals are logged as such; anything else is an error.
 */
export const connectCallbackRoute = async (
  deps: () => Promise<ConnectDeps>,
  query: CallbackQuery,
  logger: CallbackLogger,
): Promise<string> => {
  try {
    const { instance } = await completeConnect(await deps(), query);
    return `#/instances/${instance.id}?connected=1`;
  } catch (error) {
    const failure =
      error instanceof ConnectError
        ? { reason: error.reason, message: error.message }
        : { reason: 'internal', message: 'The connection could not be completed; try again' };
    if (!(error instanceof ConnectError)) logger.error('OAuth callback failed', { error });
    else logger.info('OAuth callback refused', { reason: error.reason });
    return `#/connect-error?${new URLSearchParams(failure).toString()}`;
  }
};
