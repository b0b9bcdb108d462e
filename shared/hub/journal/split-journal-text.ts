import type { JournalElement, JournalEntry } from './types';

/**
 * A journal field read with `sysparm_display_value=true` is one string, newest entry first:
 * `2024-01-15 10:23:45 - System Administrator (Additional comments)\nText\n\n2024-01-14 ...`
 * CE splits it "on a double new line with timestamp,
 * as opposed to on double new line alone" (CE release note 2.144), so
 * a comment that itself holds blank lines stays one entry. The header is also required to end with
 * the field's label when it is known, which keeps a pasted "date - name (x)" line inside a comment
 * from splitting it.
 *
 * The timestamp is in the integration user's date format and time zone. `yyyy-MM-dd HH:mm:ss` (the
 * system default) is read as UTC — give the integration user the UTC time zone, as for every other
 * display value; any other format is returned as ServiceNow wrote it.
 */
const TIMESTAMP =
  '\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}|\\d{1,4}[-/.]\\d{1,2}[-/.]\\d{1,4} \\d{1,2}:\\d{2}(?::\\d{2})?(?: ?[AaPp][Mm])?';

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const toIso = (timestamp: string): string => {
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})$/.exec(timestamp);
  return m ? `${m[1]}T${m[2]}.000Z` : timestamp;
};

export const splitJournalText = (text: string, element: JournalElement, label?: string): JournalEntry[] => {
  const labelPattern = label === undefined || label === '' ? '[^()\\n]+' : escapeRegExp(label);
  const header = new RegExp(`(?:^|\\n\\n)(${TIMESTAMP}) - ([^\\n]*?) \\((${labelPattern})\\)\\n`, 'g');
  const heads = [...text.matchAll(header)];
  return heads.map((match, i) => {
    const start = (match.index ?? 0) + match[0].length;
    const end = heads[i + 1]?.index ?? text.length;
    return {
      id: null,
      // ServiceNow ends every entry with a blank line; the last one keeps it, the others lost it to the
      // next header's match.
      value: i === heads.length - 1 ? text.slice(start, end).replace(/\n\n$/, '') : text.slice(start, end),
      createdOn: toIso(match[1] ?? ''),
      createdBy: match[2] ?? '',
      element,
    };
  });
};
