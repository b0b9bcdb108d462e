import { DEFAULT_POLLER_CONFIGURATION, DEFAULT_REFRESH_INTERVAL_MINUTES } from '../events/configuration';
import { HUB_RESOURCES } from '../resources';
import type { ElementDefinition } from './catalog';
import type { ConfigurationParameter, ParameterType } from './configuration-parameters';
import type { ElementConfigurationItem, ElementMetadataView } from './schemas';

/** CE's console field types for configuration keys. */
const CE_TYPES: Record<ParameterType, string> = {
  string: 'TEXTFIELD_128',
  boolean: 'BOOLEAN',
  integer: 'TEXTFIELD_32',
  json: 'TEXTAREA',
  url: 'TEXTFIELD_1000',
};

/** The defaults shown for discovery: the poller's resources spelled out, as CE's configuration does. */
const defaultValueOf = (parameter: ConfigurationParameter): string | undefined =>
  parameter.key === 'event.poller.configuration'
    ? JSON.stringify(DEFAULT_POLLER_CONFIGURATION)
    : parameter.defaultValue;

/**
 * `GET /elements/{keyOrId}/configuration`: every configuration key an instance takes, as CE lists them
 * (`key`, `name`, `type`, `defaultValue`, `required`, `hideFromConsole`, `internal`...), with ours
 * (`secret`, `description`) beside.
 */
export const elementConfigurationView = (element: ElementDefinition): ElementConfigurationItem[] =>
  element.configuration.map((parameter, index) => {
    const defaultValue = defaultValueOf(parameter);
    return {
      id: index + 1,
      key: parameter.key,
      name: parameter.name,
      type: parameter.secret ? 'PASSWORD' : CE_TYPES[parameter.type],
      required: parameter.required,
      hideFromConsole: false,
      internal: false,
      active: true,
      displayOrder: index + 1,
      ...(defaultValue === undefined ? {} : { defaultValue }),
      description: parameter.description,
      secret: parameter.secret,
    };
  });

/**
 * `GET /elements/{keyOrId}/metadata`: what a client discovers before it provisions: authentication,
 * events (polling, with the default poller configuration and interval), bulk, transformations and the
 * named hub resources.
 */
export const elementMetadataView = (element: ElementDefinition): ElementMetadataView => ({
  id: element.id,
  key: element.key,
  name: element.name,
  hub: element.hub,
  authentication: { type: element.authentication.type },
  events: {
    supported: element.events.supported,
    methods: [...element.events.methods],
    polling: {
      refreshIntervalMinutes: DEFAULT_REFRESH_INTERVAL_MINUTES,
      configuration: DEFAULT_POLLER_CONFIGURATION,
    },
  },
  bulk: { download: element.bulkDownloadEnabled, upload: element.bulkUploadEnabled },
  transformationsEnabled: element.transformationsEnabled,
  resources: [...HUB_RESOURCES],
});
