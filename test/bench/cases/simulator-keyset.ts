/**
 * The simulator's raw keyset serving rate: rows/s reading 100,000 incidents 1,000 rows per page with
 * `sys_id>X^ORDERBYsys_id`. This is the yardstick later bulk and hub cases divide by.
 * Baseline: the same table read with `sysparm_offset` paging, which a real instance (and the simulator's
 * cost model) makes slower the deeper it goes.
 */
import { Agent, request } from 'undici';
import { startSimulator } from '../../simulator/index';
import type { BenchCase } from '../types';

const ROWS = 100_000;
const PAGE = 1_000;
const FIELDS = 'sys_id,number,short_description,state,priority,sys_updated_on';

export async function readAll(
  baseUrl: string,
  mode: 'keyset' | 'offset',
  dispatcher: Agent,
): Promise<{ rows: number; ms: number; requests: number }> {
  const authorization = `Basic ${Buffer.from('admin:admin').toString('base64')}`;
  let rows = 0;
  let requests = 0;
  let lastSysId = '';
  const started = performance.now();
  for (;;) {
    const params = new URLSearchParams({
      sysparm_limit: String(PAGE),
      sysparm_fields: FIELDS,
      sysparm_no_count: 'true',
      sysparm_exclude_reference_link: 'true',
      sysparm_query: mode === 'keyset' && lastSysId ? `sys_id>${lastSysId}^ORDERBYsys_id` : 'ORDERBYsys_id',
    });
    if (mode === 'offset') params.set('sysparm_offset', String(rows));
    const response = await request(`${baseUrl}/api/now/table/incident?${params}`, {
      headers: { authorization, accept: 'application/json' },
      dispatcher,
    });
    requests += 1;
    const body = (await response.body.json()) as { result: { sys_id: string }[] };
    if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}`);
    if (body.result.length === 0) break;
    rows += body.result.length;
    lastSysId = body.result[body.result.length - 1]!.sys_id;
  }
  return { rows, ms: performance.now() - started, requests };
}

export const benchCase: BenchCase = {
  name: 'simulator: keyset serving rate',
  async run() {
    const generationStarted = performance.now();
    const simulator = await startSimulator({
      seed: 7,
      // The cost model turns index work into latency, as on a real instance (1 µs per row touched).
      costDelayMicrosPerUnit: 1,
      data: { incidents: ROWS, problems: 0, changes: 0, users: 200, groups: 20, companies: 10 },
    });
    const generationMs = performance.now() - generationStarted;
    const dispatcher = new Agent({ connections: 4 });
    try {
      await readAll(simulator.url, 'keyset', dispatcher); // warm-up (JIT, connection)
      const keyset = await readAll(simulator.url, 'keyset', dispatcher);
      const offset = await readAll(simulator.url, 'offset', dispatcher);
      if (keyset.rows !== ROWS || offset.rows !== ROWS) {
        throw new Error(`expected ${ROWS} rows, got keyset ${keyset.rows} / offset ${offset.rows}`);
      }
      const keysetRate = (keyset.rows / keyset.ms) * 1000;
      const offsetRate = (offset.rows / offset.ms) * 1000;
      return {
        figures: {
          'rows generated': ROWS,
          'generation + start ms': generationMs,
          'page size': PAGE,
          'keyset requests': keyset.requests,
          'keyset ms': keyset.ms,
          'offset ms': offset.ms,
        },
        subject: { label: 'keyset rows/s (sys_id>X^ORDERBYsys_id)', value: keysetRate, unit: 'rows/s' },
        baseline: { label: 'offset rows/s (sysparm_offset)', value: offsetRate, unit: 'rows/s' },
        direction: 'higher-is-better',
      };
    } finally {
      await dispatcher.close();
      await simulator.close();
    }
  },
};
