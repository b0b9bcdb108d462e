import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LocalQueue } from '../../shared/adapters/local/queue';
import type { MetricsSnapshot } from '../../shared/metrics';
import { type RedriveResult, redriveLocal } from '../../shared/operations/redrive';
import type { RawRoute } from './local-server';
import { writeJson } from './write-result';

/** Local mode's operations endpoints (not part of the API, not deployed): metrics and redrive. */
export const LOCAL_OPERATIONS_PATH = '/local-ops';

/** A queue and its dead-letter queue, as local mode runs them. */
export interface LocalQueuePair {
  queue: LocalQueue;
  deadLetters: LocalQueue;
}

export interface OperationsRouteOptions {
  queues: Readonly<Record<string, LocalQueuePair>>;
  metrics: () => MetricsSnapshot;
}

export interface LocalQueueDepth {
  /** Messages queued (waiting, delayed or being handled). */
  messages: number;
  /** Messages in its dead-letter queue. */
  deadLetters: number;
}

/** GET `/local-ops/metrics`: the in-memory metrics since start, and the depth of every queue. */
export interface LocalOperationsView extends MetricsSnapshot {
  queues: Record<string, LocalQueueDepth>;
}

const isLoopback = (address: string | undefined) =>
  address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';

/**
 * The operations endpoints of a running `npm start`, answered to loopback callers only (local mode may
 * listen on other interfaces; these are for the operator on the same machine):
 * - `GET /local-ops/metrics`
 * - `POST /local-ops/redrive?queue=<name>[&dryRun=true][&max=<n>]`: what `npm run redrive -- --local` calls.
 */
export const createOperationsRoute = (options: OperationsRouteOptions): RawRoute => ({
  prefix: `${LOCAL_OPERATIONS_PATH}/`,
  async handle(request: IncomingMessage, response: ServerResponse, url: URL) {
    request.resume();
    if (!isLoopback(request.socket.remoteAddress)) {
      return writeJson(response, 403, { message: 'Local operations answer loopback callers only' });
    }
    const path = url.pathname.slice(LOCAL_OPERATIONS_PATH.length);
    if (path === '/metrics' && request.method === 'GET') {
      const queues = Object.fromEntries(
        Object.entries(options.queues).map(([name, pair]) => [
          name,
          { messages: pair.queue.peek().length, deadLetters: pair.deadLetters.peek().length },
        ]),
      );
      return writeJson(response, 200, { ...options.metrics(), queues } satisfies LocalOperationsView);
    }
    if (path === '/redrive' && request.method === 'POST') {
      const name = url.searchParams.get('queue') ?? '';
      const pair = options.queues[name];
      if (pair === undefined) {
        return writeJson(response, 400, {
          message: `Unknown queue "${name}"; one of: ${Object.keys(options.queues).join(', ')}`,
        });
      }
      const maxText = url.searchParams.get('max');
      const max = maxText === null ? undefined : Number(maxText);
      if (max !== undefined && (!Number.isInteger(max) || max < 1)) {
        return writeJson(response, 400, { message: 'max must be a positive integer' });
      }
      const result: RedriveResult = await redriveLocal(pair.deadLetters, pair.queue, {
        dryRun: url.searchParams.get('dryRun') === 'true',
        ...(max === undefined ? {} : { max }),
      });
      return writeJson(response, 200, { queue: name, ...result });
    }
    return writeJson(response, 404, { message: `No local operation ${request.method} ${url.pathname}` });
  },
});
