import type { SimulatorHandle } from '../../test/simulator/index';

export type DemoSimulatorHandle = Pick<SimulatorHandle, 'url' | 'close'>;

/**
 * Starts the ServiceNow simulator with its demo data set (the simulator's default `data`) and its
 * default credentials (admin/admin, OAuth demo-client/demo-secret). Imported on demand so
 * `DEMO_SERVICENOW=0` never loads it; it lives under test/ and is never part of a Lambda bundle.
 */
export const startDemoSimulator = async (
  port: number,
  host: string,
  /**
   * Redirect URIs the demo OAuth client accepts besides its default, read on every authorize request:
   * the caller adds the console's callback once the API listens (its port may be chosen then).
   */
  oauthRedirectUris: string[] = [],
): Promise<DemoSimulatorHandle> => {
  const [{ startSimulator }, { DEFAULT_OAUTH_CLIENTS }] = await Promise.all([
    import('../../test/simulator/index'),
    import('../../test/simulator/auth'),
  ]);
  const oauthClients = DEFAULT_OAUTH_CLIENTS.map((client) => {
    oauthRedirectUris.unshift(...(client.redirectUris ?? []));
    return { ...client, redirectUris: oauthRedirectUris };
  });
  return startSimulator({ port, host, oauthClients });
};

/** The console callbacks a browser may come back to: the API's origin as printed, and as `localhost`. */
export const consoleCallbackUrls = (apiOrigin: string, callbackPath: string): string[] => {
  const url = new URL(apiOrigin);
  const origins = new Set([url.origin]);
  if (url.hostname === '127.0.0.1') origins.add(`${url.protocol}//localhost:${url.port}`);
  return [...origins].map((origin) => `${origin}${callbackPath}`);
};
