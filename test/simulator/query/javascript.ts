import { formatDateTime, parseDateTime } from '../store/clock';

/** What a `javascript:` value may read: the injectable clock and the querying user. */
export interface ScriptContext {
  now: Date;
  userSysId?: string;
}

const DAY = 86_400_000;

function startOfDay(ms: number): number {
  return Math.floor(ms / DAY) * DAY;
}

/**
 * Evaluates the whitelisted `javascript:gs.*()` expressions ServiceNow allows in encoded queries (UTC, since
 * the integration user's time zone is UTC). Returns undefined for anything else: such a condition is invalid.
 */
export function evaluateScript(expression: string, context: ScriptContext): string | undefined {
  const m = /^\s*gs\.(\w+)\(\s*(.*?)\s*\)\s*;?\s*$/.exec(expression);
  if (!m) return undefined;
  const name = m[1]!;
  const args = m[2] ? m[2].split(',').map((a) => a.trim().replace(/^(['"])(.*)\1$/, '$2')) : [];
  const now = context.now.getTime();
  const today = startOfDay(now);
  const n = args[0] === undefined ? Number.NaN : Number(args[0]);
  const withN = (f: (n: number) => number): string | undefined =>
    Number.isFinite(n) ? formatDateTime(f(n)) : undefined;
  switch (name) {
    case 'getUserID':
      return args.length === 0 ? (context.userSysId ?? '') : undefined;
    case 'nowDateTime':
      return formatDateTime(now);
    case 'beginningOfToday':
      return formatDateTime(today);
    case 'endOfToday':
      return formatDateTime(today + DAY - 1000);
    case 'beginningOfYesterday':
      return formatDateTime(today - DAY);
    case 'endOfYesterday':
      return formatDateTime(today - 1000);
    case 'beginningOfTomorrow':
      return formatDateTime(today + DAY);
    case 'endOfTomorrow':
      return formatDateTime(today + 2 * DAY - 1000);
    case 'daysAgo':
      return withN((d) => now - d * DAY);
    case 'daysAgoStart':
      return withN((d) => today - d * DAY);
    case 'daysAgoEnd':
      return withN((d) => today - d * DAY + DAY - 1000);
    case 'hoursAgo':
      return withN((h) => now - h * 3_600_000);
    case 'minutesAgo':
      return withN((min) => now - min * 60_000);
    case 'dateGenerate': {
      const date = args[0] ?? '';
      const time = args[1] ?? 'start';
      if (!parseDateTime(date) || date.length !== 10) return undefined;
      if (time === 'start') return `${date} 00:00:00`;
      if (time === 'end') return `${date} 23:59:59`;
      return /^\d{2}:\d{2}:\d{2}$/.test(time) ? `${date} ${time}` : undefined;
    }
    default:
      return undefined;
  }
}

/** Resolves one literal or `javascript:` value; undefined when the script is not whitelisted. */
export function resolveValue(raw: string, context: ScriptContext): string | undefined {
  return raw.startsWith('javascript:') ? evaluateScript(raw.slice('javascript:'.length), context) : raw;
}
