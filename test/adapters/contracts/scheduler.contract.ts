import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidNameError, type OneOffScheduler } from '../../../shared/ports';

export interface SchedulerHarness {
  scheduler: OneOffScheduler;
  /** What the backend holds right now: one entry per pending trigger. */
  pending(): { name: string; when: Date; payload: unknown }[];
  close(): Promise<void>;
}

export function describeSchedulerContract(name: string, factory: () => Promise<SchedulerHarness>): void {
  describe(`OneOffScheduler contract: ${name}`, () => {
    let harness: SchedulerHarness;
    const inAnHour = new Date(Date.UTC(2026, 0, 1, 1, 0, 0));
    beforeEach(async () => {
      harness = await factory();
    });
    afterEach(async () => {
      await harness.close();
    });

    it('registers a trigger with its time and payload', async () => {
      await harness.scheduler.at('poll-instance-42', inAnHour, { instanceId: 42, reason: 'poll' });
      expect(harness.pending()).toEqual([
        { name: 'poll-instance-42', when: inAnHour, payload: { instanceId: 42, reason: 'poll' } },
      ]);
    });

    it('replaces a trigger scheduled again under the same name', async () => {
      await harness.scheduler.at('poll-instance-42', inAnHour, { v: 1 });
      const later = new Date(inAnHour.getTime() + 3_600_000);
      await harness.scheduler.at('poll-instance-42', later, { v: 2 });
      await harness.scheduler.at('poll-instance-43', inAnHour, { v: 3 });
      const pending = harness.pending().sort((a, b) => a.name.localeCompare(b.name));
      expect(pending).toEqual([
        { name: 'poll-instance-42', when: later, payload: { v: 2 } },
        { name: 'poll-instance-43', when: inAnHour, payload: { v: 3 } },
      ]);
    });

    it('cancels idempotently', async () => {
      await harness.scheduler.at('job-1', inAnHour, null);
      await harness.scheduler.cancel('job-1');
      await harness.scheduler.cancel('job-1');
      await harness.scheduler.cancel('never-scheduled');
      expect(harness.pending()).toEqual([]);
    });

    it('refuses names the backend would reject', async () => {
      for (const bad of ['', 'has space', 'slash/name', 'x'.repeat(65)]) {
        await expect(harness.scheduler.at(bad, inAnHour, {})).rejects.toBeInstanceOf(InvalidNameError);
        await expect(harness.scheduler.cancel(bad)).rejects.toBeInstanceOf(InvalidNameError);
      }
    });
  });
}
