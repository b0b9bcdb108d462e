import { resolve } from 'node:path';
import { createLocalSecretStore } from '../../shared/adapters/local/secret-store';
import { createLocalStateTable } from '../../shared/adapters/local/state-table';
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
  // The one state table and secret store of this process: the authorizer and every handler use them
  // through getDependencies() (startLocalServer installs them with setDependencies()).
  const secretStore = createLocalSecretStore({ dataDir });
  const stateTable = createLocalStateTable({ dataDir });
  const secrets = await resolvePlatformSecrets({
    store: secretStore,
    organizationSecret: config.organizationSecret,
    userSecret: config.userSecret,
  });

  let simulator: DemoSimulatorHandle | undefined;
  try {
    simulator = config.demoServiceNow
      ? await startDemoSimulator(config.demoServiceNowPort, config.host)
      : undefined;
  } catch (error) {
    await stateTable.close();
    throw error;
  }
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
      dependencies: {
        mode: 'local',
        stateTable,
        secretStore,
        allowedHosts: config.allowedHosts,
        now: () => new Date(),
      },
    });
  } catch (error) {
    await Promise.allSettled([simulator?.close(), stateTable.close()]);
    throw error;
  }

  const banner = renderBanner({ apiUrl: api.url, dataDir, secrets, ...(simulator ? { simulator } : {}) });
  return {
    api,
    simulator,
    banner,
    close: async () => {
      await Promise.allSettled([api.close(), simulator?.close()]);
      // After the server: no handler can be writing any more.
      await stateTable.close();
    },
  };
};
