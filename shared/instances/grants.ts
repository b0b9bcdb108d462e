import type { ElementDefinition } from '../elements';
import type { OAuthGrant } from '../servicenow';

export type Grant = 'basic' | OAuthGrant;

/**
 * Which way an instance authenticates (C.5):
 * - `servicenow`: Basic.
 * - `servicenowoauth` with `username` + `password`: password grant. Checked first because CE's legacy
 *   password-grant bodies also carry a dummy `providerData.code` ("1000").
 * - with `providerData.code` (or, on an update, an instance already on authorization_code): authorization_code.
 * - otherwise: client_credentials (client id + secret only).
 */
export const grantFor = (
  element: ElementDefinition,
  configuration: Record<string, string>,
  code: string | undefined,
  previousGrant?: Grant,
): Grant => {
  if (element.authentication.type === 'basic') return 'basic';
  if (configuration.username !== undefined && configuration.password !== undefined) return 'password';
  if (code !== undefined || previousGrant === 'authorization_code') return 'authorization_code';
  return 'client_credentials';
};

/** Required keys for a grant, in a stable order (the 400 names every missing one). */
export const requiredKeysFor = (grant: Grant): string[] => {
  switch (grant) {
    case 'basic':
      return ['username', 'password', 'servicenow.subdomain'];
    case 'password':
      return ['oauth.api.key', 'oauth.api.secret', 'username', 'password', 'servicenow.subdomain'];
    case 'authorization_code':
      return ['oauth.api.key', 'oauth.api.secret', 'oauth.callback.url', 'servicenow.subdomain'];
    case 'client_credentials':
      return ['oauth.api.key', 'oauth.api.secret', 'servicenow.subdomain'];
  }
};
