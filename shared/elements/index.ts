/** The element catalog: the two ServiceNow elements. */
export type { AuthenticationType, ElementDefinition, ElementKey } from './catalog';
export { ELEMENTS, findElement, parameterOf, transformableElementKey } from './catalog';
export type { ConfigurationParameter, ParameterType } from './configuration-parameters';
export { BASE_URL_KEY, BASIC_PARAMETERS, OAUTH_PARAMETERS, SUBDOMAIN_KEY } from './configuration-parameters';
export { elementConfigurationView, elementMetadataView } from './element-metadata';
export { elementView } from './element-view';
