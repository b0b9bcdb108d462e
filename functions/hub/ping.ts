import type { HubRouteTable } from './types';

/** `GET /hubs/helpdesk/ping`: a real round trip, the cheapest read every user may make. */
export const pingRoutes: HubRouteTable = {
  'GET /ping': async (request) => {
    const client = await request.client();
    await client.list('sys_user', { limit: 1, fields: ['sys_id'], noCount: true });
    return { dateTime: request.deps.now().toISOString(), endpoint: request.instance.elementKey, valid: true };
  },
};
