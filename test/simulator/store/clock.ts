import type { SimClock } from './types';

/**
 * A clock that follows wall time from a settable instant. Tests freeze it so that many writes share
 * one second.
 */
export function createClock(start?: Date): SimClock {
  let base = start?.getTime() ?? Date.now();
  let wallAt = Date.now();
  let frozen = false;
  const current = (): number => (frozen ? base : base + (Date.now() - wallAt));
  return {
    now: () => new Date(current()),
    set(at: Date) {
      base = at.getTime();
      wallAt = Date.now();
    },
    advance(ms: number) {
      base = current() + ms;
      wallAt = Date.now();
    },
    freeze() {
      base = current();
      frozen = true;
    },
    unfreeze() {
      if (!frozen) return;
      wallAt = Date.now();
      frozen = false;
    },
  };
}

const TWO = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
let cachedDay = Number.NaN;
let cachedDate = '';

/** `yyyy-MM-dd HH:mm:ss` in UTC, the stored and display_value=false format. */
export function formatDateTime(at: Date | number): string {
  const ms = typeof at === 'number' ? at : at.getTime();
  // Generators format millions of instants: cache the date part of the last day seen.
  const day = Math.floor(ms / 86_400_000);
  if (day !== cachedDay) {
    cachedDay = day;
    cachedDate = new Date(day * 86_400_000).toISOString().slice(0, 10);
  }
  const seconds = Math.floor((ms - day * 86_400_000) / 1000);
  return `${cachedDate} ${TWO[Math.floor(seconds / 3600)]}:${TWO[Math.floor(seconds / 60) % 60]}:${TWO[seconds % 60]}`;
}

/** `yyyy-MM-dd` in UTC (glide_date fields). */
export function formatDate(at: Date | number): string {
  return new Date(at).toISOString().slice(0, 10);
}

/** Parses `yyyy-MM-dd HH:mm:ss` or `yyyy-MM-dd` as UTC; undefined when malformed. */
export function parseDateTime(text: string): Date | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?: (\d{2}):(\d{2}):(\d{2}))?$/.exec(text);
  if (!m) return undefined;
  const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0));
  return Number.isNaN(ms) ? undefined : new Date(ms);
}
