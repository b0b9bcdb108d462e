import type { DownloadFormat } from '../download';

/** Media types of each format in an Accept header (CE documents `txt/csv` [sic]). */
const MEDIA_FORMAT: Record<string, DownloadFormat> = {
  'text/csv': 'csv',
  'txt/csv': 'csv',
  'text/*': 'csv',
  'application/jsonl': 'jsonl',
  'application/x-ndjson': 'jsonl',
  'application/x-jsonlines': 'jsonl',
  'application/jsonlines': 'jsonl',
};

/**
 * The format an Accept header asks for, or undefined when it accepts none (406). CE's JSON download is
 * one record per line, so `application/json` is JSON lines, or the job's own array when it was made as
 * one; `application/json; format=array` asks for the array explicitly. Ties in quality go to the job's
 * own format (no conversion), then to the order written.
 */
export const negotiateFormat = (
  accept: string | undefined,
  stored: DownloadFormat,
): DownloadFormat | undefined => {
  if (accept === undefined || accept.trim() === '') return stored;
  const jsonDefault: DownloadFormat = stored === 'csv' ? 'jsonl' : stored;
  let best: { format: DownloadFormat; q: number } | undefined;
  for (const part of accept.split(',')) {
    const [rawType, ...rawParams] = part.split(';');
    const type = rawType?.trim().toLowerCase() ?? '';
    const params = new Map(
      rawParams.map((param) => {
        const [name, value] = param.split('=');
        return [name?.trim().toLowerCase() ?? '', value?.trim().replace(/^"|"$/g, '').toLowerCase() ?? ''];
      }),
    );
    const q = params.has('q') ? Number(params.get('q')) : 1;
    if (!(q > 0)) continue;
    let format: DownloadFormat | undefined = MEDIA_FORMAT[type];
    if (type === 'application/json') {
      const shape = params.get('format');
      format = shape === 'array' ? 'json' : shape === 'lines' ? 'jsonl' : jsonDefault;
    } else if (type === '*/*' || type === '') format = stored;
    else if (type === 'application/*') format = jsonDefault;
    if (format === undefined) continue;
    if (best === undefined || q > best.q || (q === best.q && format === stored && best.format !== stored)) {
      best = { format, q };
    }
  }
  return best?.format;
};
