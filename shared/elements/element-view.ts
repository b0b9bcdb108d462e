import type { ElementDefinition } from './catalog';
import type { ElementView } from './schemas';

/** `GET /elements/{keyOrId}`: the element as CE describes it. */
export const elementView = (element: ElementDefinition): ElementView => ({
  id: element.id,
  key: element.key,
  name: element.name,
  hookName: 'ServiceNow',
  description: element.description,
  active: true,
  deleted: false,
  typeOauth: element.authentication.type === 'oauth2',
  hub: element.hub,
  authentication: { type: element.authentication.type },
  beta: element.beta,
  private: false,
  protocolType: 'http',
  transformationsEnabled: element.transformationsEnabled,
  bulkDownloadEnabled: element.bulkDownloadEnabled,
  bulkUploadEnabled: element.bulkUploadEnabled,
  events: { supported: element.events.supported, methods: [...element.events.methods] },
  configuration: element.configuration.map((parameter) => ({
    key: parameter.key,
    name: parameter.name,
    type: parameter.type,
    required: parameter.required,
    hideFromConsole: false,
    secret: parameter.secret,
    ...(parameter.defaultValue === undefined ? {} : { defaultValue: parameter.defaultValue }),
    description: parameter.description,
  })),
  parameters: [
    {
      name: 'servicenow.subdomain',
      vendorName: 'subdomain',
      type: 'configuration',
      vendorType: 'path',
      source: 'request',
      elementId: element.id,
      required: true,
    },
  ],
});
