/**
 * ServiceNow date-times as the Table API returns them with sysparm_display_value=false: `yyyy-MM-dd HH:mm:ss`
 * in UTC, one-second resolution. Because the format is fixed-width, string order is time
 * order, which the checkpoint logic relies on.
 */
const SN_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

/** `yyyy-MM-dd HH:mm:ss` (UTC) for an instant; sub-second precision is truncated. */
export const toServiceNowDateTime = (at: Date | number): string =>
  new Date(typeof at === 'number' ? at : at.getTime()).toISOString().slice(0, 19).replace('T', ' ');

/** Epoch ms of a ServiceNow date-time, or undefined when malformed. */
export const parseServiceNowDateTime = (text: string): number | undefined => {
  const m = SN_DATE_TIME.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m;
  return Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
};

/** The CE event `date` form: `2017-06-06T22:26:22Z`. */
export const toEventDate = (snDateTime: string): string => {
  const ms = parseServiceNowDateTime(snDateTime);
  return ms === undefined ? snDateTime : `${new Date(ms).toISOString().slice(0, 19)}Z`;
};

/** A ServiceNow date-time shifted by whole seconds (negative = earlier). */
export const shiftSeconds = (snDateTime: string, seconds: number): string => {
  const ms = parseServiceNowDateTime(snDateTime);
  if (ms === undefined) throw new TypeError(`Not a ServiceNow date-time: ${snDateTime}`);
  return toServiceNowDateTime(ms + seconds * 1000);
};
