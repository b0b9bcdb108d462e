import { SUBDOMAIN_KEY } from '../elements';
import { InvalidInputError, isElementError } from '../errors';
import { type AllowedHosts, checkOutboundUrl, type Resolver } from '../net';
import { serviceNowBaseUrl } from '../servicenow';

/**
 * The instance base URL from `servicenow.subdomain`, checked before any credential leaves: shape
 * (serviceNowBaseUrl) and the SSRF guard (DNS; loopback/private/metadata refused unless allowed).
 * A refusal is a 400 naming the key, so the caller knows which field to fix. The outbound agent
 * re-checks on every connection (DNS rebinding), this check only fails early and clearly.
 */
export const checkedBaseUrl = async (
  subdomain: string,
  allowedHosts: AllowedHosts,
  resolver?: Resolver,
): Promise<string> => {
  const baseUrl = serviceNowBaseUrl(subdomain, allowedHosts);
  try {
    await checkOutboundUrl(baseUrl, { allowedHosts, ...(resolver ? { resolver } : {}) });
  } catch (error) {
    if (isElementError(error) && error.status === 400) {
      throw new InvalidInputError(`Invalid ${SUBDOMAIN_KEY}: ${error.message}`);
    }
    throw error;
  }
  return baseUrl;
};

/** CE's `base.url` configuration value. */
export const tableBaseUrl = (baseUrl: string): string => `${baseUrl}/api/now/v1/table`;
