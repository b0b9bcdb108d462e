import { APP_VERSION } from '../../shared/config/version';
import { withMiddleware } from '../middleware/with-middleware';

/** `GET /ping`: liveness of the API itself, no auth (the hub's `/hubs/helpdesk/ping` comes with instances). */
export const handler = withMiddleware(async () => ({
  status: 'ok',
  dateTime: new Date().toISOString(),
  version: APP_VERSION,
}));
