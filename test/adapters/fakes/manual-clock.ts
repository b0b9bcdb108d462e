import { setImmediate as nextMacrotask } from 'node:timers/promises';
import type { Clock } from '../../../shared/adapters/local';

/** A clock that only moves when told, running due timers in time order. */
export class ManualClock implements Clock {
  private current: number;
  private timers: { id: number; at: number; callback: () => void }[] = [];
  private nextId = 1;

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.push({ id, at: this.current + Math.max(0, ms), callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Move time forward, firing every timer that falls due (and letting async work settle in between). */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      await nextMacrotask();
      const due = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.current = Math.max(this.current, due.at);
      due.callback();
    }
    this.current = target;
    await nextMacrotask();
  }
}
