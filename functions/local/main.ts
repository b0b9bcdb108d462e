/**
 * `npm start`: the API, its embedded adapters and the demo ServiceNow simulator on this machine.
 * Configuration comes from the environment (shared/config/local-config.ts).
 */
import { ConfigError, readLocalConfig } from '../../shared/config';
import { positiveIntEnv } from '../runtime/env';
import { runLocalMode } from './run-local';

/** After a stop signal, give open requests this long before exiting anyway. */
const SHUTDOWN_GRACE_MS = 2_000;

const main = async () => {
  let config: ReturnType<typeof readLocalConfig>;
  try {
    config = readLocalConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`snow-element: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }

  // Handlers go in before anything starts: a signal during start-up still shuts down cleanly.
  const pollWorkers = positiveIntEnv(process.env.ELEMENT_EVENTS_POLL_WORKERS);
  const local = runLocalMode(config, pollWorkers === undefined ? {} : { pollWorkers });
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      // A second Ctrl-C means "now".
      process.exit(130);
    }
    stopping = true;
    process.stdout.write(`\n${signal} received, shutting down\n`);
    const forced = setTimeout(() => {
      process.stderr.write('snow-element: shutdown took too long, exiting\n');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    forced.unref();
    local
      .then((running) => running.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          process.stderr.write(`snow-element: error during shutdown: ${String(error)}\n`);
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  process.stdout.write((await local).banner);
};

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`snow-element: failed to start: ${message}\n`);
  process.exit(1);
});
