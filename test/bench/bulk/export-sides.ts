/**
 * The export benchmarks' world: one simulator process (its own, so the export's figures are its own),
 * and two sides exported against it in A B B A order, so drift on the shared machine (other processes,
 * thermal) hits both sides alike. Rates are totals over both runs of a side.
 */
import type { BenchResult } from '../types';
import { overallRate, runExportProcess, runRate, startSimulatorProcess } from './children';
import type { ExportProcessOptions, ExportReport, SimulatorProcessOptions } from './protocol';

/** The columns of an incident the partition benchmarks export. */
export const PARTITION_EXPORT_FIELDS = [
  'sys_id',
  'number',
  'short_description',
  'state',
  'priority',
  'assigned_to',
  'sys_updated_on',
] as const;

export interface ExportWorld extends SimulatorProcessOptions {
  /** Added to every simulator request (a stand-in for a real instance's time per page). */
  latencyMs?: number;
}

/** One side's exports: every table row, so `expectedRows` is the simulator's incidents. */
export type ExportSide = Omit<ExportProcessOptions, 'url' | 'expectedRows'>;

export interface ExportSides {
  a: ExportReport[];
  b: ExportReport[];
  /** How long the simulator took to seed its table. */
  seedMs: number;
}

export const exportBothSides = async (
  world: ExportWorld,
  a: ExportSide,
  b: ExportSide,
): Promise<ExportSides> => {
  const { latencyMs, ...simulator } = world;
  const sim = await startSimulatorProcess(simulator);
  const reports: ExportSides = { a: [], b: [], seedMs: sim.seedMs };
  const run = (side: ExportSide) =>
    runExportProcess({ ...side, url: sim.url, expectedRows: world.incidents });
  try {
    if (latencyMs !== undefined) await sim.setFaults({ latencyMs });
    reports.a.push(await run(a));
    reports.b.push(await run(b));
    reports.b.push(await run(b));
    reports.a.push(await run(a));
  } finally {
    await sim.close();
  }
  return reports;
};

/**
 * Partitioned exports (`partitioned`) against one stream (`oneStream`): their rates per run and the
 * queue messages each side needed, beside the case's own `figures`.
 */
export const partitionsResult = (options: {
  oneStream: ExportReport[];
  partitioned: ExportReport[];
  partitions: number;
  figures: BenchResult['figures'];
  target?: string;
}): BenchResult => {
  const { oneStream, partitioned, partitions } = options;
  const ratesPerRun = (reports: ExportReport[]) => reports.map((r) => runRate(r).toFixed(0)).join(', ');
  return {
    figures: {
      ...options.figures,
      '1 stream rows/s per run': ratesPerRun(oneStream),
      [`${partitions} partitions rows/s per run`]: ratesPerRun(partitioned),
      'queue messages per run (1 stream; partitioned)': `${oneStream[0]?.steps ?? 0}; ${partitioned[0]?.steps ?? 0}`,
    },
    subject: {
      label: `export rows/s, ${partitions} partitions`,
      value: overallRate(partitioned),
      unit: 'rows/s',
    },
    baseline: { label: 'export rows/s, one stream', value: overallRate(oneStream), unit: 'rows/s' },
    direction: 'higher-is-better',
    ...(options.target === undefined ? {} : { target: options.target }),
  };
};
