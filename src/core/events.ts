/**
 * The trail of kernel functions a step runs through, each named after the
 * kernel's function, macro or return code (ptx-report/1 `events`).
 * A bulk touch summarises repeated work: one event per function with a count.
 */
export interface KEvent {
  fn: string;
  task?: string;
  detail?: string;
  /** The patch lines that ran, quoted, with where they come from (mshare steps). */
  src?: string;
}

export class EventLog {
  list: KEvent[] = [];
  task: string | undefined;
  /** While > 0, events are counted per function instead of listed. */
  private quiet = 0;
  private tally = new Map<string, { n: number; unit: string }>();

  emit(fn: string, detail?: string, src?: string): void {
    if (this.quiet > 0) {
      this.count(fn, 1, '');
      return;
    }
    const e: KEvent = { fn };
    if (this.task !== undefined) e.task = this.task;
    if (detail !== undefined) e.detail = detail;
    if (src !== undefined) e.src = src;
    this.list.push(e);
  }

  /** Record n repetitions of fn (pages, faults, tables) without listing each. */
  count(fn: string, n: number, unit: string): void {
    if (n <= 0) return;
    if (this.quiet === 0) {
      this.emit(fn, `×${n.toLocaleString('en-US')}${unit ? ' ' + unit : ''}`);
      return;
    }
    const t = this.tally.get(fn);
    if (t) t.n += n;
    else this.tally.set(fn, { n, unit });
  }

  /** Summarise everything emitted inside f. */
  summarise<T>(f: () => T): T {
    this.quiet++;
    try {
      return f();
    } finally {
      this.quiet--;
      if (this.quiet === 0) this.flush();
    }
  }

  private flush(): void {
    for (const [fn, { n, unit }] of this.tally) {
      const e: KEvent = { fn, detail: `×${n.toLocaleString('en-US')}${unit ? ' ' + unit : ''}` };
      if (this.task !== undefined) e.task = this.task;
      this.list.push(e);
    }
    this.tally.clear();
  }

  take(): KEvent[] {
    const l = this.list;
    this.list = [];
    return l;
  }
}
