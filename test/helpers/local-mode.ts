/**
 * Local mode as `npm start` runs it (the API and the demo ServiceNow on free ports), in-process, over a
 * data directory of its own that closing removes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalModeHandle, type LocalModeOptions, runLocalMode } from '../../functions/local';
import { readLocalConfig } from '../../shared/config';

export interface LocalModeTest extends LocalModeHandle {
  dataDir: string;
  /** Stops local mode and keeps its data directory (close stops it too, and removes the directory). */
  stop(): Promise<void>;
}

export interface LocalModeSetup extends LocalModeOptions {
  /** ELEMENT_ORGANIZATION_SECRET and ELEMENT_USER_SECRET; default: generated, as the banner prints them. */
  secrets?: { organization: string; user: string };
  /** Default WARN. */
  logLevel?: string;
}

/** Free ports, a data directory of its own, and what `setup` chooses. */
export const startLocalMode = async (label: string, setup: LocalModeSetup = {}): Promise<LocalModeTest> => {
  const { secrets, logLevel = 'WARN', ...options } = setup;
  const dataDir = await mkdtemp(join(tmpdir(), `snow-element-${label}-`));
  const removeDataDir = () => rm(dataDir, { recursive: true, force: true });
  try {
    const local = await runLocalMode(
      readLocalConfig({
        PORT: '0',
        DEMO_SERVICENOW_PORT: '0',
        ELEMENT_DATA_DIR: dataDir,
        LOG_LEVEL: logLevel,
        ...(secrets === undefined
          ? {}
          : { ELEMENT_ORGANIZATION_SECRET: secrets.organization, ELEMENT_USER_SECRET: secrets.user }),
      }),
      options,
    );
    return {
      ...local,
      dataDir,
      stop: () => local.close(),
      async close() {
        await local.close();
        await removeDataDir();
      },
    };
  } catch (error) {
    await removeDataDir();
    throw error;
  }
};

/** An instance's configuration: the demo ServiceNow as admin, incident events posted to `callbackUrl`. */
export const demoEventsConfiguration = (simulatorUrl: string, callbackUrl: string) => ({
  username: 'admin',
  password: 'admin',
  'servicenow.subdomain': simulatorUrl,
  'event.notification.enabled': true,
  'event.notification.callback.url': callbackUrl,
  'event.poller.configuration': { incidents: {} },
});
