import { InternalError } from '../errors';

/**
 * Hosts exempt from the SSRF guard (and allowed over plain http). Configured by
 * `ELEMENT_ALLOWED_HOSTS`: comma-separated `host` or `host:port`, IPv6 in brackets
 * (`[::1]:8080`). A bare host allows every port; `host:port` only that port.
 */
export interface AllowedHosts {
  allows(host: string, port: number | string | undefined): boolean;
  /** Normalized entries, for logging and cache keys (never secret). */
  readonly entries: readonly string[];
}

interface Entry {
  host: string;
  port: number | undefined;
}

/** Lower-cases and strips IPv6 brackets and a trailing dot, so `[::1]` and `::1` compare equal. */
export const normalizeHost = (host: string): string => {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h.endsWith('.')) h = h.slice(0, -1);
  return h;
};

const parseEntry = (raw: string): Entry => {
  const text = raw.trim();
  let host: string;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) throw invalid(raw);
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) throw invalid(raw);
      portText = rest.slice(1);
    }
  } else {
    const parts = text.split(':');
    if (parts.length > 2) throw invalid(raw); // unbracketed IPv6 would be ambiguous
    host = parts[0] ?? '';
    portText = parts[1];
  }
  host = normalizeHost(host);
  if (host === '' || /[\s/@?#]/.test(host)) throw invalid(raw);
  let port: number | undefined;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText)) throw invalid(raw);
    port = Number(portText);
    if (port < 1 || port > 65535) throw invalid(raw);
  }
  return { host, port };
};

const invalid = (raw: string) =>
  new InternalError(`ELEMENT_ALLOWED_HOSTS contains an invalid entry: "${raw.trim()}"`);

export const parseAllowedHosts = (value: string | undefined): AllowedHosts => {
  const entries = (value ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map(parseEntry);
  return {
    entries: entries.map((e) => {
      const host = e.host.includes(':') ? `[${e.host}]` : e.host;
      return e.port === undefined ? host : `${host}:${e.port}`;
    }),
    allows(host, port) {
      const h = normalizeHost(host);
      const p = port === undefined || port === '' ? undefined : Number(port);
      return entries.some((e) => e.host === h && (e.port === undefined || e.port === p));
    },
  };
};

/** What an entry point uses when `ELEMENT_ALLOWED_HOSTS` is unset. */
export const DEFAULT_ALLOWED_HOSTS = {
  /** `npm start`: the demo simulator runs on loopback. */
  local: 'localhost,127.0.0.1',
  /** A deployed stack talks only to public ServiceNow instances. */
  deployed: '',
} as const;

/**
 * Reads `ELEMENT_ALLOWED_HOSTS` from the given environment; called by entry points only, so
 * the rest of the code receives an AllowedHosts value and never reads the environment itself.
 */
export const allowedHostsFromEnv = (
  env: Record<string, string | undefined>,
  defaults: string = DEFAULT_ALLOWED_HOSTS.deployed,
): AllowedHosts => parseAllowedHosts(env.ELEMENT_ALLOWED_HOSTS ?? defaults);
