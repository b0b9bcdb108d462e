import { InvalidInputError } from '../errors';
import { MAX_CALLBACK_URL_LENGTH } from '../input/limits';
import { checkOutboundUrl, type OutboundPolicy, OutboundUrlRefusedError } from './ssrf-guard';

/**
 * A callback URL checked when it is saved, like every outbound URL (shape + DNS: https only, no
 * loopback, private, link-local or metadata target unless allow-listed): a 400 starting with `label`
 * when refused. The delivery checks again (the outbound agent re-resolves and pins the address on
 * every connection), so a name that later resolves elsewhere is still refused.
 */
export async function checkCallbackUrl(
  url: string,
  policy: OutboundPolicy,
  label = 'Callback URL refused',
): Promise<string> {
  if (url.length > MAX_CALLBACK_URL_LENGTH) {
    throw new InvalidInputError(`${label}: longer than ${MAX_CALLBACK_URL_LENGTH} characters`);
  }
  try {
    return (await checkOutboundUrl(url, policy)).toString();
  } catch (error) {
    if (error instanceof OutboundUrlRefusedError) throw new InvalidInputError(`${label}: ${error.message}`);
    throw error;
  }
}
