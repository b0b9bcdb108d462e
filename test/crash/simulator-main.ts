/**
 * The ServiceNow simulator as its own process, so its data outlives every kill of local mode. Prints
 * `SIMULATOR_URL <url>` once it listens; stops on SIGTERM.
 */
import { startSimulator } from '../simulator';

const incidents = Number(process.env.CRASH_SIM_INCIDENTS ?? '1000');
const seed = Number(process.env.CRASH_SIM_SEED ?? '1');

const sim = await startSimulator({
  seed,
  data: { incidents, problems: 0, changes: 0, users: 5, groups: 2, companies: 2 },
});
process.stdout.write(`SIMULATOR_URL ${sim.url}\n`);
process.on('SIGTERM', () => {
  void sim.close().finally(() => process.exit(0));
});
