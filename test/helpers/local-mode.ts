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

/** `env` adds to or overrides free ports, the data directory and LOG_LEVEL=WARN. */
export const startLocalMode = async (
  label: string,
  env: Record<string, string> = {},
  options: LocalModeOptions = {},
): Promise<LocalModeTest> => {
  const dataDir = await mkdtemp(join(tmpdir(), `snow-element-${label}-`));
  const removeDataDir = () => rm(dataDir, { recursive: true, force: true });
  try {
    const local = await runLocalMode(
      readLocalConfig({
        PORT: '0',
        DEMO_SERVICENOW_PORT: '0',
        ELEMENT_DATA_DIR: dataDir,
        LOG_LEVEL: 'WARN',
        ...env,
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
