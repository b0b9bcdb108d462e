import { describe, expect, it } from 'vitest';
import { createLogger, REDACTED, redactText } from '../../shared/logging';
import { captureOutput } from './capture-logs';

const SECRETS = [
  'user-5f1c9e2a7b',
  'org-8d3b7c1e44',
  'elem-tok-99x8y7',
  'hunter2hunter2',
  'client-secret-abc123',
  'eyJhbGciOiJIUzI1NiJ9.payload.sig',
  'refresh-r1r2r3r4r5',
];

describe('logger redaction', () => {
  it('never writes credentials, whatever shape they are logged in', async () => {
    const logger = createLogger({ logLevel: 'DEBUG' });
    const output = await captureOutput(() => {
      logger.info('incoming', {
        headers: { Authorization: `User ${SECRETS[0]}, Organization ${SECRETS[1]}, Element ${SECRETS[2]}` },
      });
      logger.debug('instance', {
        configuration: { 'servicenow.password': SECRETS[3], 'oauth.api.secret': SECRETS[4] },
      });
      logger.warn('token refresh', {
        access_token: SECRETS[5],
        refreshToken: SECRETS[6],
        tokens: [SECRETS[5]],
      });
      logger.error(
        'provider call failed',
        new Error(`401 for Bearer ${SECRETS[5]} and password=${SECRETS[3]}`),
      );
      logger.info(
        `form body grant_type=refresh_token&refresh_token=${SECRETS[6]}&client_secret=${SECRETS[4]}`,
      );
    });
    expect(output.trim().split('\n')).toHaveLength(5);
    for (const secret of SECRETS) expect(output).not.toContain(secret);
    expect(output).toContain(REDACTED);
  });

  it('keeps the useful facts', async () => {
    const logger = createLogger({ logLevel: 'INFO' });
    const output = await captureOutput(() => {
      logger.info('request', { method: 'GET', path: '/elements/api-v2/ping', status: 200, requestId: 'abc' });
    });
    const line = JSON.parse(output) as Record<string, unknown>;
    expect(line).toMatchObject({
      message: 'request',
      method: 'GET',
      status: 200,
      requestId: 'abc',
      level: 'INFO',
    });
  });

  it('leaves ordinary prose readable', () => {
    expect(redactText('User not found for Organization acme')).toBe('User not found for Organization acme');
  });
});

describe('logger service name', () => {
  it('takes the service name from POWERTOOLS_SERVICE_NAME over the one passed in code', async () => {
    const previous = process.env.POWERTOOLS_SERVICE_NAME;
    process.env.POWERTOOLS_SERVICE_NAME = 'from-the-stack';
    try {
      const logger = createLogger({ serviceName: 'from-code' });
      const output = await captureOutput(() => logger.info('hello'));
      expect(JSON.parse(output.trim()).service).toBe('from-the-stack');
    } finally {
      if (previous === undefined) delete process.env.POWERTOOLS_SERVICE_NAME;
      else process.env.POWERTOOLS_SERVICE_NAME = previous;
    }
  });

  it('falls back to the name passed in code when the variable is unset (local mode)', async () => {
    const previous = process.env.POWERTOOLS_SERVICE_NAME;
    delete process.env.POWERTOOLS_SERVICE_NAME;
    try {
      const output = await captureOutput(() => createLogger({ serviceName: 'local-part' }).info('hello'));
      expect(JSON.parse(output.trim()).service).toBe('local-part');
    } finally {
      if (previous !== undefined) process.env.POWERTOOLS_SERVICE_NAME = previous;
    }
  });
});
