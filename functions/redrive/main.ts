/**
 * `npm run redrive -- [options]`: moves dead letters back to their source queue (README "Operating it").
 *
 *   --queue events|bulk    which pair (default: both)
 *   --dry-run              count what is waiting, move nothing
 *   --max <n>              move at most n messages per queue
 * AWS (credentials and region from the usual AWS SDK environment; AWS_ENDPOINT_URL_SQS for an emulator):
 *   --outputs <file>       `cdk deploy --outputs-file` JSON (default cdk-outputs.json); the stack's
 *                          <Queue>QueueUrl and <Queue>DeadLetterQueueUrl outputs name the queues
 *   --stack <name>         the stack in that file (default: its only one)
 *   --dlq-url <url> --to-url <url>   the two queues given directly (with one --queue)
 * Local mode:
 *   --local                local mode's queues: through the running `npm start` at --url, or, when
 *                          nothing answers there, in the files under --data-dir
 *   --url <origin>         default http://127.0.0.1:$PORT (3000)
 *   --data-dir <dir>       default $ELEMENT_DATA_DIR or ./.element-data
 *
 * Prints one JSON line per queue: {queue, waiting, moved, failed, dryRun}; exits 1 if any message could
 * not be moved, 2 on a usage error.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { SQSClient } from '@aws-sdk/client-sqs';
import { type RedriveCommand, redriveCommandOf, UsageError } from '../../shared/operations/redrive-command';
import { type QueueRedriveResult, runRedriveCommand } from '../../shared/operations/redrive-run';
import { LOCAL_OPERATIONS_PATH } from '../local/operations-route';
import { LOCAL_BULK_QUEUE_FILE, LOCAL_EVENTS_QUEUE_FILE } from '../runtime/dependencies';

const OPTIONS = {
  queue: { type: 'string' },
  'dry-run': { type: 'boolean' },
  max: { type: 'string' },
  outputs: { type: 'string' },
  stack: { type: 'string' },
  'dlq-url': { type: 'string' },
  'to-url': { type: 'string' },
  local: { type: 'boolean' },
  url: { type: 'string' },
  'data-dir': { type: 'string' },
} as const;

export const parseRedriveArgs = (
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): RedriveCommand => {
  let values: ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'];
  try {
    values = parseArgs({ args: [...args], strict: true, allowPositionals: false, options: OPTIONS }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return redriveCommandOf(values, env);
};

/** Local mode's operations endpoint and queue files (functions/local/run-local.ts). */
const LOCAL_LAYOUT = {
  operationsPath: LOCAL_OPERATIONS_PATH,
  queueFiles: { events: LOCAL_EVENTS_QUEUE_FILE, bulk: LOCAL_BULK_QUEUE_FILE },
};

export const runRedrive = (
  command: RedriveCommand,
  sqs: () => SQSClient = () => new SQSClient({}),
): Promise<QueueRedriveResult[]> => runRedriveCommand(command, { sqs, local: LOCAL_LAYOUT });

const main = async () => {
  try {
    const results = await runRedrive(parseRedriveArgs(process.argv.slice(2), process.env));
    for (const result of results) process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exitCode = results.some((result) => result.failed > 0) ? 1 : 0;
  } catch (error) {
    process.stderr.write(`redrive: ${(error as Error).message}\n`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  }
};

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
