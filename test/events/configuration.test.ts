import { describe, expect, it } from 'vitest';
import { ElementError } from '../../shared/errors';
import {
  DEFAULT_EVENT_RESOURCES,
  DEFAULT_POLLER_CONFIGURATION,
  parseEventsConfig,
} from '../../shared/events';

const enabled = (extra: Record<string, unknown> = {}) => ({
  'event.notification.enabled': 'true',
  'event.notification.callback.url': 'https://consumer.example/events',
  ...extra,
});

const badRequest = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ElementError);
    expect((error as ElementError).status).toBe(400);
    return (error as ElementError).message;
  }
  throw new Error('expected a 400');
};

describe('events configuration', () => {
  it('defaults: disabled, 15 minutes, the eight default resources with their tables', () => {
    const config = parseEventsConfig({});
    expect(config.enabled).toBe(false);
    expect(config.refreshIntervalMinutes).toBe(15);
    expect(config.resources.map((r) => [r.name, r.table, r.filter])).toEqual([
      ['incidents', 'incident', undefined],
      ['accounts', 'core_company', undefined],
      ['contacts', 'sys_user', undefined],
      ['agents', 'sys_user', 'roles=itil'],
      ['problems', 'problem', undefined],
      ['changes', 'change_request', undefined],
      ['users', 'sys_user', undefined],
      ['groups', 'sys_user_group', undefined],
    ]);
    expect(Object.keys(DEFAULT_POLLER_CONFIGURATION)).toEqual([...DEFAULT_EVENT_RESOURCES]);
    expect(config.resources[0]).toMatchObject({
      idField: 'sys_id',
      pageSize: 1000,
      pollDelaySeconds: 0,
      createdCheckToleranceSeconds: 0,
      filterByUpdatedDate: true,
    });
  });

  it('reads stored string values and a poller configuration given as JSON text or as an object', () => {
    const poller = {
      incidents: { pageSize: '50', pollDelay: 5, createdCheckTolerance: '2', filterByUpdatedDate: 'false' },
    };
    const fromText = parseEventsConfig(
      enabled({ 'event.poller.refresh_interval': '5', 'event.poller.configuration': JSON.stringify(poller) }),
    );
    const fromObject = parseEventsConfig(
      enabled({ 'event.poller.refresh_interval': 5, 'event.poller.configuration': poller }),
    );
    expect(fromText).toEqual(fromObject);
    expect(fromText).toMatchObject({ enabled: true, refreshIntervalMinutes: 5 });
    expect(fromText.resources).toEqual([
      {
        name: 'incidents',
        table: 'incident',
        idField: 'sys_id',
        createdDateField: 'sys_created_on',
        pageSize: 50,
        pollDelaySeconds: 5,
        createdCheckToleranceSeconds: 2,
        filterByUpdatedDate: false,
      },
    ]);
  });

  it('accepts the CE default entries, and a copied entry under a new name polls the url resource', () => {
    const copied = {
      myIncidents: {
        ...(DEFAULT_POLLER_CONFIGURATION.incidents as object),
        // biome-ignore lint/suspicious/noTemplateCurlyInString: CE's literal date-template syntax
        url: "/hubs/helpdesk/incidents?where=sys_updated_on>'${date:yyyy-MM-dd'T'HH:mm:ss}'",
      },
      cmdb: { url: '/hubs/helpdesk/cmdb_ci' },
    };
    const config = parseEventsConfig(enabled({ 'event.poller.configuration': JSON.stringify(copied) }));
    expect(config.resources.map((r) => [r.name, r.table])).toEqual([
      ['myIncidents', 'incident'],
      ['cmdb', 'cmdb_ci'],
    ]);
    const all = parseEventsConfig(enabled({ 'event.poller.configuration': DEFAULT_POLLER_CONFIGURATION }));
    expect(all.resources).toHaveLength(8);
  });

  it('keeps the signature key byte for byte', () => {
    expect(parseEventsConfig(enabled({ 'event.notification.signature.key': ' k ' })).signatureKey).toBe(
      ' k ',
    );
  });

  it('answers 400 naming the key for each invalid value', () => {
    expect(badRequest(() => parseEventsConfig({ 'event.notification.enabled': 'yes' }))).toMatch(
      /event\.notification\.enabled/,
    );
    expect(badRequest(() => parseEventsConfig({ 'event.notification.enabled': 'true' }))).toMatch(
      /event\.notification\.callback\.url is required/,
    );
    expect(
      badRequest(() => parseEventsConfig(enabled({ 'event.notification.callback.url': 'ftp://x' }))),
    ).toMatch(/event\.notification\.callback\.url/);
    expect(badRequest(() => parseEventsConfig(enabled({ 'event.poller.refresh_interval': '0' })))).toMatch(
      /event\.poller\.refresh_interval/,
    );
    expect(badRequest(() => parseEventsConfig(enabled({ 'event.poller.configuration': '{nope' })))).toMatch(
      /event\.poller\.configuration: not valid JSON/,
    );
    expect(badRequest(() => parseEventsConfig(enabled({ 'event.poller.configuration': '[1]' })))).toMatch(
      /must be a JSON object/,
    );
    expect(
      badRequest(() =>
        parseEventsConfig(enabled({ 'event.poller.configuration': { incidents: { pageSize: 0 } } })),
      ),
    ).toMatch(/event\.poller\.configuration \(incidents\).*pageSize/);
    expect(
      badRequest(() =>
        parseEventsConfig(
          enabled({
            'event.poller.configuration': {
              incidents: { datesConfiguration: { updatedDateField: 'opened_at' } },
            },
          }),
        ),
      ),
    ).toMatch(/updatedDateField/);
    expect(
      badRequest(() =>
        parseEventsConfig(
          enabled({
            'event.poller.configuration': {
              incidents: { url: "/hubs/helpdesk/incidents?where=priority='1' and sys_updated_on>'x'" },
            },
          }),
        ),
      ),
    ).toMatch(/other conditions are not supported/);
    expect(
      badRequest(() => parseEventsConfig(enabled({ 'event.poller.configuration': { 'bad name!': {} } }))),
    ).toMatch(/not a valid resource name/);
    expect(
      badRequest(() =>
        parseEventsConfig(
          enabled({ 'event.poller.configuration': { x: { url: '/hubs/helpdesk/Bad-Table' } } }),
        ),
      ),
    ).toMatch(/not a resource or table name/);
  });
});
