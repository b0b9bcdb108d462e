import { describe, expect, it } from 'vitest';
import { ConfigError, readLocalConfig } from '../../shared/config';

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
  ])('rejects %s=%s naming the variable', (name, value) => {
    expect(() => readLocalConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => readLocalConfig({ [name]: value })).toThrow(name);
  });
});
