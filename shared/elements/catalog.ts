import { InvalidInputError, NotFoundError } from '../errors';
import { BASIC_PARAMETERS, type ConfigurationParameter, OAUTH_PARAMETERS } from './configuration-parameters';

export type ElementKey = 'servicenow' | 'servicenowoauth';
export type AuthenticationType = 'basic' | 'oauth2';

export interface ElementDefinition {
  key: ElementKey;
  /** CE's numeric ids (145 Basic, 566 OAuth per the docs front matter). */
  id: number;
  name: string;
  description: string;
  hub: 'helpdesk';
  authentication: { type: AuthenticationType };
  beta: boolean;
  events: { supported: true; methods: readonly ['polling'] };
  bulkDownloadEnabled: boolean;
  bulkUploadEnabled: boolean;
  transformationsEnabled: boolean;
  configuration: readonly ConfigurationParameter[];
}

const common = {
  hub: 'helpdesk',
  events: { supported: true, methods: ['polling'] },
  bulkDownloadEnabled: true,
  bulkUploadEnabled: true,
  transformationsEnabled: true,
} as const;

export const ELEMENTS: readonly ElementDefinition[] = [
  {
    key: 'servicenow',
    id: 145,
    name: 'ServiceNow',
    description:
      'ServiceNow incidents, problems, changes and any table, with a user name and password (Basic)',
    authentication: { type: 'basic' },
    beta: false,
    configuration: BASIC_PARAMETERS,
    ...common,
  },
  {
    key: 'servicenowoauth',
    id: 566,
    name: 'ServiceNow OAuth',
    description: 'ServiceNow through OAuth 2.0 (authorization_code, password or client_credentials grant)',
    authentication: { type: 'oauth2' },
    beta: false,
    configuration: OAUTH_PARAMETERS,
    ...common,
  },
];

/** By key (`servicenow`) or numeric id (`145`), as CE's `/elements/{keyOrId}` routes accept both. */
export const findElement = (keyOrId: string | number | undefined): ElementDefinition | undefined => {
  if (keyOrId === undefined) return undefined;
  const text = String(keyOrId).trim();
  return ELEMENTS.find((element) => element.key === text || String(element.id) === text);
};

export const parameterOf = (element: ElementDefinition, key: string): ConfigurationParameter | undefined =>
  element.configuration.find((parameter) => parameter.key === key);

/** The key of the element `{keyOrId}` names, for its transformations: 404 for no element, 400 without transformations. */
export const transformableElementKey = (keyOrId: string | undefined): string => {
  const element = findElement(keyOrId);
  if (!element) throw new NotFoundError(`No element '${String(keyOrId).slice(0, 64)}'`);
  if (!element.transformationsEnabled)
    throw new InvalidInputError(`Element ${element.key} has no transformations`);
  return element.key;
};
