import { vi } from 'vitest';

/**
 * Captures what is written to stdout/stderr while `run` executes (Powertools' Logger writes there
 * through its own Console), so tests can assert on the actual log lines.
 */
export const captureOutput = async (run: () => Promise<void> | void): Promise<string> => {
  const chunks: string[] = [];
  const record = (chunk: unknown) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  };
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(record);
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(record);
  try {
    await run();
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
  return chunks.join('');
};
