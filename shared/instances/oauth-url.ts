import type { ElementDefinition } from '../elements';
import { InvalidInputError } from '../errors';
import type { AllowedHosts } from '../net';
import { authorizationUrl, serviceNowBaseUrl } from '../servicenow';
import type { OAuthUrlView } from './response-schemas';

const REQUIRED = ['apiKey', 'apiSecret', 'callbackUrl', 'servicenow.subdomain'] as const;

/**
 * `GET /elements/{keyOrId}/oauth/url`: the ServiceNow authorize URL for the
 * authorization_code grant. `apiSecret` is required like CE's, but never placed in the URL (it would
 * end up in browser history and ServiceNow's logs); it is only needed later, on POST /instances.
 * `state` defaults to the element key, as CE's did.
 */
export const oauthUrlFor = (
  element: ElementDefinition,
  query: Readonly<Record<string, string | undefined>>,
  allowedHosts: AllowedHosts,
): OAuthUrlView => {
  if (element.authentication.type !== 'oauth2') {
    throw new InvalidInputError(`Element ${element.key} does not use OAuth; use servicenowoauth`);
  }
  const missing = REQUIRED.filter((key) => (query[key] ?? '').trim() === '');
  if (missing.length > 0)
    throw new InvalidInputError(`Missing required query parameters: ${missing.join(', ')}`);
  const callbackUrl = (query.callbackUrl ?? '').trim();
  let parsed: URL | undefined;
  try {
    parsed = new URL(callbackUrl);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) {
    throw new InvalidInputError('Invalid callbackUrl: expected an http(s) URL');
  }
  const baseUrl = serviceNowBaseUrl(query['servicenow.subdomain'] ?? '', allowedHosts);
  const state = (query.state ?? '').trim() || element.key;
  return {
    element: element.key,
    oauthUrl: authorizationUrl(baseUrl, {
      clientId: (query.apiKey ?? '').trim(),
      redirectUri: callbackUrl,
      state,
    }),
  };
};
