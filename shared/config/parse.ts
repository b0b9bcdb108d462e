import { ConfigError } from './config-error';

export type Env = Readonly<Record<string, string | undefined>>;

/** An unset or blank variable counts as absent, the way shells and .env files usually mean it. */
export const readString = (env: Env, name: string): string | undefined => {
  const value = env[name]?.trim();
  return value ? value : undefined;
};

export const readPort = (env: Env, name: string, fallback: number): number => {
  const raw = readString(env, name);
  if (raw === undefined) return fallback;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65_535) {
    throw new ConfigError(`${name} must be a port number between 0 and 65535`);
  }
  return port;
};

/** `0`, `false`, `no`, `off` switch a flag off; anything else set switches it on. */
export const readFlag = (env: Env, name: string, fallback: boolean): boolean => {
  const raw = readString(env, name);
  if (raw === undefined) return fallback;
  return !['0', 'false', 'no', 'off'].includes(raw.toLowerCase());
};

/** A whole number from 1 to `max`, e.g. how many workers drain a queue. */
export const readPositiveInt = (env: Env, name: string, fallback: number, max = 1000): number => {
  const raw = readString(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > max) {
    throw new ConfigError(`${name} must be a whole number from 1 to ${max}`);
  }
  return value;
};
