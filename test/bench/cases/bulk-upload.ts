/**
 * Bulk upload: 20,000 CSV rows written to `incident` by the real engine (parseUpload ->
 * uploadRows: bounded concurrency, Batch API for plain inserts, the client's 429/Retry-After handling)
 * against sequential single POSTs (a plain fetch loop, one POST per row, each awaited) that honour
 * Retry-After the same way. Target: rows/s >= 8x.
 *
 * Both sides hit the same simulator (its own process) with the same injected faults:
 * - every request waits LATENCY_MS first: a realistic small round trip (client in the same region as
 *   the instance), without which a loopback request costs ~0.1 ms and the comparison would only
 *   measure CPU, not the requests saved;
 * - RATE_LIMIT_P of requests answer 429 with `Retry-After: 1`. A Batch API request is one request.
 *
 * The sequential baseline is measured on its first BASELINE_ROWS rows only: at a few milliseconds per
 * row plus a 1 s wait per 429, all 20,000 would take minutes; rows/s is what is compared. A second
 * result shows uploadRows through the Table API (one POST per row, 4 in flight), which is what the
 * worker does when ELEMENT_BULK_UPLOAD_BATCH_SIZE is 0 (upserts batch too, after one IN lookup).
 */
import { Readable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { parseUpload, type RowFailure, uploadRows } from '../../../shared/bulk/upload';
import { parseAllowedHosts } from '../../../shared/net';
import { createServiceNowClient } from '../../../shared/servicenow';
import { startSimulatorProcess } from '../bulk/children';
import type { BenchCase, BenchResult } from '../types';

const ROWS = 20_000;
const BASELINE_ROWS = 2_000;
const TABLE_API_ROWS = 4_000;
const LATENCY_MS = 3;
const RATE_LIMIT_P = 0.005;
const RETRY_AFTER_SECONDS = 1;
/** Rows per Batch API request: small enough for ServiceNow's per-batch time quota. */
const BATCH_SIZE = 50;
const AUTHORIZATION = `Basic ${Buffer.from('admin:admin').toString('base64')}`;

const CATEGORIES = ['inquiry', 'software', 'hardware', 'network', 'database'];
const CHANNELS = ['email', 'phone', 'self-service', 'walk-in'];

/** A realistic import file: eight incident columns, some cells with commas, quotes and line breaks. */
const csvFile = (count: number): Buffer => {
  const rows: string[][] = [
    [
      'short_description',
      'description',
      'category',
      'subcategory',
      'impact',
      'urgency',
      'contact_type',
      'state',
    ],
  ];
  for (let i = 0; i < count; i++) {
    rows.push([
      `Imported incident ${i}: "VPN" drops, every ${1 + (i % 9)} minutes`,
      i % 3 === 0 ? '' : `Reported by the import.\nLine two of ${i}.`,
      CATEGORIES[i % CATEGORIES.length] as string,
      `sub-${i % 17}`,
      String(1 + (i % 3)),
      String(1 + ((i >> 2) % 3)),
      CHANNELS[i % CHANNELS.length] as string,
      String([1, 2, 3][i % 3]),
    ]);
  }
  return Buffer.from(stringify(rows));
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The baseline: one POST per row, each awaited; a 429 waits exactly Retry-After, then repeats. */
async function sequentialPosts(url: string, records: Record<string, string>[]) {
  let rateLimited = 0;
  for (const record of records) {
    for (;;) {
      const response = await fetch(`${url}/api/now/table/incident`, {
        method: 'POST',
        headers: {
          authorization: AUTHORIZATION,
          'content-type': 'application/json',
          accept: 'application/json',
        },
        body: JSON.stringify(record),
      });
      await response.arrayBuffer();
      if (response.status === 201) break;
      if (response.status !== 429) throw new Error(`sequential POST answered ${response.status}`);
      rateLimited += 1;
      await sleep(Number(response.headers.get('retry-after') ?? '1') * 1000);
    }
  }
  return { rateLimited };
}

async function engineUpload(url: string, file: Buffer, batchSize: number | undefined) {
  const client = createServiceNowClient({
    baseUrl: url,
    auth: { type: 'basic', username: 'admin', password: 'admin' },
    allowedHosts: parseAllowedHosts('127.0.0.1'),
  });
  const failures: RowFailure[] = [];
  const result = await uploadRows({
    client,
    table: 'incident',
    rows: parseUpload(Readable.from([file]), 'csv'),
    ...(batchSize === undefined ? {} : { batchSize }),
    onError: (failure) => void failures.push(failure),
  });
  if (failures.length > 0 || result.failed > 0) {
    throw new Error(`upload failed ${result.failed} rows, first: ${JSON.stringify(failures[0])}`);
  }
  return result;
}

export const benchCase: BenchCase = {
  name: 'bulk: upload 20k rows vs sequential POSTs',
  async run(): Promise<BenchResult[]> {
    const sim = await startSimulatorProcess({ seed: 9, incidents: 0 });
    try {
      await sim.setFaults({
        latencyMs: LATENCY_MS,
        rateLimit: { probability: RATE_LIMIT_P, retryAfterSeconds: RETRY_AFTER_SECONDS },
      });
      const file = csvFile(ROWS);
      const records = parse(file, { columns: true }) as Record<string, string>[];

      // Warm-up (JIT, connections) outside the measurements.
      await engineUpload(sim.url, csvFile(200), BATCH_SIZE);
      await sequentialPosts(sim.url, records.slice(0, 50));
      let expected = (await sim.stats('incident')).rows;

      await sim.setFaults({
        latencyMs: LATENCY_MS,
        rateLimit: { probability: RATE_LIMIT_P, retryAfterSeconds: RETRY_AFTER_SECONDS },
      });
      let started = performance.now();
      const batched = await engineUpload(sim.url, file, BATCH_SIZE);
      const batchedMs = performance.now() - started;
      const batchedStats = await sim.stats('incident');
      expected += ROWS;
      if (batched.written !== ROWS || batchedStats.rows !== expected) {
        throw new Error(
          `engine wrote ${batched.written}, the table holds ${batchedStats.rows - expected + ROWS}`,
        );
      }

      await sim.setFaults({
        latencyMs: LATENCY_MS,
        rateLimit: { probability: RATE_LIMIT_P, retryAfterSeconds: RETRY_AFTER_SECONDS },
      });
      started = performance.now();
      const tableApi = await engineUpload(sim.url, csvFile(TABLE_API_ROWS), undefined);
      const tableApiMs = performance.now() - started;
      const tableApiStats = await sim.stats('incident');
      expected += TABLE_API_ROWS;
      if (tableApi.written !== TABLE_API_ROWS || tableApiStats.rows !== expected) {
        throw new Error(`Table API upload wrote ${tableApi.written}, expected ${TABLE_API_ROWS}`);
      }

      await sim.setFaults({
        latencyMs: LATENCY_MS,
        rateLimit: { probability: RATE_LIMIT_P, retryAfterSeconds: RETRY_AFTER_SECONDS },
      });
      started = performance.now();
      const sequential = await sequentialPosts(sim.url, records.slice(0, BASELINE_ROWS));
      const sequentialMs = performance.now() - started;
      const sequentialStats = await sim.stats('incident');
      expected += BASELINE_ROWS;
      if (sequentialStats.rows !== expected) throw new Error('sequential POSTs lost rows');

      const sequentialRate = (BASELINE_ROWS / sequentialMs) * 1000;
      const common = {
        'injected latency per request ms': LATENCY_MS,
        '429 probability per request (Retry-After s)': `${RATE_LIMIT_P} (${RETRY_AFTER_SECONDS})`,
        'sequential rows (sample)': BASELINE_ROWS,
        'sequential ms': sequentialMs,
        'sequential 429s': `${sequential.rateLimited} (simulator counted ${sequentialStats.rateLimited})`,
      };
      return [
        {
          figures: {
            rows: ROWS,
            'CSV MB': file.length / 1e6,
            'batch size (Batch API) x concurrency': `${BATCH_SIZE} x 4`,
            'engine ms': batchedMs,
            'engine 429s': batchedStats.rateLimited,
            ...common,
          },
          subject: {
            label: 'uploadRows rows/s (Batch API, CSV parsed streaming)',
            value: (ROWS / batchedMs) * 1000,
            unit: 'rows/s',
          },
          baseline: { label: 'sequential single POSTs rows/s', value: sequentialRate, unit: 'rows/s' },
          direction: 'higher-is-better',
          target: '>= 8',
        },
        {
          figures: {
            rows: TABLE_API_ROWS,
            'Table API POSTs in flight': 4,
            'engine ms': tableApiMs,
            'engine 429s': tableApiStats.rateLimited,
            ...common,
          },
          subject: {
            label: 'uploadRows rows/s (Table API, one POST per row, 4 in flight)',
            value: (TABLE_API_ROWS / tableApiMs) * 1000,
            unit: 'rows/s',
          },
          baseline: { label: 'sequential single POSTs rows/s', value: sequentialRate, unit: 'rows/s' },
          direction: 'higher-is-better',
        },
      ];
    } finally {
      await sim.close();
    }
  },
};
