/** A benchmark case: measures a subject and a baseline in the same run and reports their ratio. */
export interface BenchMeasurement {
  label: string;
  value: number;
  unit: string;
}

export interface BenchResult {
  /** Free-form figures printed as they are (sizes, counts, percentiles). */
  figures: Record<string, string | number>;
  subject: BenchMeasurement;
  baseline: BenchMeasurement;
  /** How to read subject/baseline: 'higher-is-better' (rates) or 'lower-is-better' (times, sizes). */
  direction: 'higher-is-better' | 'lower-is-better';
  /** Optional target for the ratio, printed next to it (e.g. ">= 0.9"). */
  target?: string;
}

export interface BenchCase {
  name: string;
  run(): Promise<BenchResult | BenchResult[]>;
}
