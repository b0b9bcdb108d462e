import { describe, expect, it } from 'vitest';
import { getDependencies, setDependencies } from '../../functions/runtime/dependencies';
import { bulkWorkerOptionsFromEnv } from '../../shared/bulk/worker';
import { ConfigError, readFunctionEnv, readLocalConfig, required } from '../../shared/config';

describe('local configuration', () => {
  it('has working defaults', () => {
    expect(readLocalConfig({})).toEqual({
      port: 3000,
      host: '127.0.0.1',
      dataDir: './.element-data',
      organizationSecret: undefined,
      userSecret: undefined,
      allowedHosts: expect.objectContaining({ entries: ['localhost', '127.0.0.1'] }),
      demoServiceNow: true,
      demoServiceNowPort: 3001,
      logLevel: undefined,
      bulkWorkers: 4,
      eventsWorkers: 4,
      pollWorkers: 4,
    });
  });

  it('reads every variable', () => {
    const config = readLocalConfig({
      PORT: '8080',
      ELEMENT_DATA_DIR: '/tmp/data',
      ELEMENT_ORGANIZATION_SECRET: 'o',
      ELEMENT_USER_SECRET: 'u',
      ELEMENT_ALLOWED_HOSTS: ' Sim.Local:3001 , ,10.0.0.5',
      DEMO_SERVICENOW: '0',
      DEMO_SERVICENOW_PORT: '4001',
      LOG_LEVEL: 'debug',
      ELEMENT_LOCAL_BULK_WORKERS: '8',
      ELEMENT_LOCAL_EVENTS_WORKERS: '1',
    });
    expect(config).toMatchObject({
      port: 8080,
      dataDir: '/tmp/data',
      organizationSecret: 'o',
      userSecret: 'u',
      allowedHosts: expect.objectContaining({ entries: ['sim.local:3001', '10.0.0.5'] }),
      demoServiceNow: false,
      demoServiceNowPort: 4001,
      logLevel: 'DEBUG',
      bulkWorkers: 8,
      eventsWorkers: 1,
    });
  });

  it('treats an explicitly empty allow-list as none and blank secrets as unset', () => {
    const config = readLocalConfig({ ELEMENT_ALLOWED_HOSTS: '', ELEMENT_USER_SECRET: '  ' });
    expect(config.allowedHosts.entries).toEqual([]);
    expect(config.userSecret).toBeUndefined();
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['DEMO_SERVICENOW_PORT', '-1'],
    ['LOG_LEVEL', 'LOUD'],
    ['ELEMENT_ALLOWED_HOSTS', 'host:port:extra'],
    ['ELEMENT_LOCAL_BULK_WORKERS', '0'],
    ['ELEMENT_LOCAL_EVENTS_WORKERS', '4x'],
    ['ELEMENT_BULK_CHUNK_DEADLINE_MS', '10m'],
    ['ELEMENT_EVENTS_MAX_RECEIVE_COUNT', '0'],
    ['ELEMENT_BULK_UPLOAD_BATCH_SIZE', '-1'],
  ])('rejects %s=%s naming the variable', (name, value) => {
    expect(() => readLocalConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => readLocalConfig({ [name]: value })).toThrow(name);
  });
});

describe('function environment', () => {
  it('types the numeric settings and reads blank as unset', () => {
    const env = readFunctionEnv({
      ELEMENT_BULK_CHUNK_DEADLINE_MS: '60000',
      ELEMENT_BULK_UPLOAD_BATCH_SIZE: '0',
      ELEMENT_STATE_TABLE: ' ',
    });
    expect(env.ELEMENT_BULK_CHUNK_DEADLINE_MS).toBe(60_000);
    expect(env.ELEMENT_BULK_UPLOAD_BATCH_SIZE).toBe(0);
    expect(env.ELEMENT_STATE_TABLE).toBeUndefined();
    expect(() => required(env, 'ELEMENT_STATE_TABLE')).toThrow('ELEMENT_STATE_TABLE is not set');
  });

  it('refuses a malformed value naming the variable, not its value, instead of using the default', () => {
    const read = () => bulkWorkerOptionsFromEnv({ ELEMENT_BULK_CHUNK_DEADLINE_MS: '10m' });
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(/^ELEMENT_BULK_CHUNK_DEADLINE_MS must be a whole number greater than 0$/);
  });

  it('fails start-up of a function on a malformed value', async () => {
    setDependencies(undefined);
    await expect(getDependencies({}, { ELEMENT_BULK_PAGES_PER_CHUNK: 'many' })).rejects.toThrow(
      'ELEMENT_BULK_PAGES_PER_CHUNK must be a whole number greater than 0',
    );
    setDependencies(undefined);
  });
});
