import { resolve } from 'node:path';
import { createLocalSecretStore } from '../../shared/adapters/local/secret-store';
import type { LocalConfig } from '../../shared/config';
import { renderBanner } from './banner';
import { type DemoSimulatorHandle, startDemoSimulator } from './demo';
import { type LocalServerHandle, startLocalServer } from './local-server';
import { resolvePlatformSecrets } from './platform-secrets';

export interface LocalModeHandle {
  api: LocalServerHandle;
  simulator: DemoSimulatorHandle | undefined;
  banner: string;
  close(): Promise<void>;
}

/**
 * Everything `npm start` runs, without the process concerns (signals, exit codes) so it can be
 * started in-process too: secrets, the demo simulator, then the API with the environment its
 * handlers read.
 */
export const runLocalMode = async (config: LocalConfig): Promise<LocalModeHandle> => {
  const dataDir = resolve(config.dataDir);
  const secrets = await resolvePlatformSecrets({
    store: createLocalSecretStore({ dataDir }),
    organizationSecret: config.organizationSecret,
    userSecret: config.userSecret,
  });

  const simulator = config.demoServiceNow
    ? await startDemoSimulator(config.demoServiceNowPort, config.host)
    : undefined;
  let api: LocalServerHandle;
  try {
    api = await startLocalServer({
      port: config.port,
      host: config.host,
      env: {
        ELEMENT_DATA_DIR: dataDir,
        ELEMENT_ORGANIZATION_SECRET: secrets.organization.value,
        ELEMENT_USER_SECRET: secrets.user.value,
        ELEMENT_ALLOWED_HOSTS: config.allowedHosts.entries.join(','),
        ...(simulator ? { DEMO_SERVICENOW_URL: simulator.url } : {}),
      },
    });
  } catch (error) {
    await simulator?.close();
    throw error;
  }

  const banner = renderBanner({ apiUrl: api.url, dataDir, secrets, ...(simulator ? { simulator } : {}) });
  return {
    api,
    simulator,
    banner,
    close: async () => {
      await Promise.allSettled([api.close(), simulator?.close()]);
    },
  };
};
