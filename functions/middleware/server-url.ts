import type { ApiEvent } from './types';

/** A host name or IP literal with an optional port, nothing that could smuggle markup or a path. */
const HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

/**
 * The origin the caller reached the API at (a document's `servers`, the OAuth callback URL): API
 * Gateway's own domain name (local mode: the Host header), https unless the request says otherwise
 * (local mode serves plain http on loopback).
 */
export const serverUrlOf = (event: ApiEvent, mode: string): string | undefined => {
  const host = event.requestContext?.domainName;
  if (!host || !HOST.test(host)) return undefined;
  const forwarded = event.headers?.['x-forwarded-proto'];
  const proto =
    forwarded === 'http' || forwarded === 'https' ? forwarded : mode === 'local' ? 'http' : 'https';
  return `${proto}://${host}`;
};
