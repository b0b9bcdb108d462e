/**
 * `npm run bench`: runs every case under test/bench/cases (or those whose name contains an argument)
 * and prints each case's figures and the ratio subject/baseline, both measured in this same run so the
 * machine's speed cancels out. Benchmarks are never part of `npm test`.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchCase, BenchResult } from './types';

const casesDir = join(import.meta.dirname, 'cases');
const filters = process.argv.slice(2);

const format = (value: number) =>
  Number.isInteger(value) || Math.abs(value) >= 100
    ? value.toFixed(0)
    : Math.abs(value) >= 1
      ? value.toFixed(2)
      : value.toPrecision(3);

function print(name: string, result: BenchResult) {
  console.log(`\n## ${name}`);
  for (const [key, value] of Object.entries(result.figures)) {
    console.log(`  ${key}: ${typeof value === 'number' ? format(value) : value}`);
  }
  const { subject, baseline } = result;
  const ratio = subject.value / baseline.value;
  console.log(`  subject  ${subject.label}: ${format(subject.value)} ${subject.unit}`);
  console.log(`  baseline ${baseline.label}: ${format(baseline.value)} ${baseline.unit}`);
  console.log(
    `  ratio subject/baseline: ${ratio.toFixed(3)} (${result.direction})${result.target ? `  target ${result.target}` : ''}`,
  );
}

const files = (await readdir(casesDir)).filter((file) => file.endsWith('.ts')).sort();
let failures = 0;
for (const file of files) {
  const module = (await import(join(casesDir, file))) as { benchCase: BenchCase };
  const bench = module.benchCase;
  if (filters.length > 0 && !filters.some((filter) => bench.name.includes(filter) || file.includes(filter)))
    continue;
  try {
    const results = await bench.run();
    const list = Array.isArray(results) ? results : [results];
    list.forEach((result, index) => {
      print(list.length > 1 ? `${bench.name} #${index + 1}` : bench.name, result);
    });
  } catch (error) {
    failures += 1;
    console.error(`\n## ${bench.name}: FAILED`, error);
  }
}
process.exitCode = failures > 0 ? 1 : 0;
