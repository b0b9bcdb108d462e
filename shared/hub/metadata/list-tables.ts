import { idQuery, type ServiceNowClient } from '../../servicenow';
import { type MetadataCache, sharedMetadataCache } from './cache';
import type { MetadataOptions } from './load-table-metadata';

const PAGE_SIZE = 1000;

/**
 * Names of every table whose sys_db_object row the instance's credentials can read
 * (`sysparm_fields=name`, keyset on sys_id so a 5,000-table instance is read in a few cheap pages and
 * ACL-short pages never end the scan early, A.8). Sorted by name; cached like table metadata.
 */
export const listTables = (
  client: ServiceNowClient,
  cache: MetadataCache = sharedMetadataCache,
  options: MetadataOptions = {},
): Promise<string[]> =>
  cache.getOrLoad(`${options.scope ?? client.baseUrl}|tables`, async () => {
    const names = new Set<string>();
    let after: string | undefined;
    for (let offset = 0; ; ) {
      const page = await client.list('sys_db_object', {
        query: idQuery(after),
        fields: ['sys_id', 'name'],
        limit: PAGE_SIZE,
        ...(offset === 0 ? {} : { offset }),
        noCount: true,
      });
      for (const row of page.records) {
        if (typeof row.name === 'string' && row.name !== '') names.add(row.name);
      }
      if (!page.hasNext) break;
      const last = page.records.at(-1);
      if (last === undefined || typeof last.sys_id !== 'string') offset += PAGE_SIZE;
      else {
        after = last.sys_id;
        offset = 0;
      }
    }
    return [...names].sort();
  });
