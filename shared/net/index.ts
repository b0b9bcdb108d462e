export type { AllowedHosts } from './allowed-hosts';
export {
  allowedHostsFromEnv,
  DEFAULT_ALLOWED_HOSTS,
  normalizeHost,
  parseAllowedHosts,
} from './allowed-hosts';
export { checkCallbackUrl } from './callback-url';
export type {
  GuardedLookup,
  OutboundAgent,
  OutboundAgentOptions,
  OutboundRequest,
  OutboundResponse,
} from './outbound-agent';
export {
  createGuardedLookup,
  createOutboundAgent,
  OutboundTimeoutError,
  sharedOutboundAgent,
} from './outbound-agent';
export type { OutboundPolicy, ResolvedAddress, Resolver } from './ssrf-guard';
export {
  addressRange,
  assertOutboundUrlShape,
  assertPublicAddresses,
  checkOutboundUrl,
  isPublicAddress,
  OutboundUrlRefusedError,
  systemResolver,
} from './ssrf-guard';
