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

/** A detail, or a function that builds it: called only when the event is listed. */
export type Detail = string | (() => string);

/** n with en-US digit grouping, as n.toLocaleString('en-US') gives, without Intl's cost. */
export function groupDigits(n: number): string {
  if (!Number.isSafeInteger(n)) return n.toLocaleString('en-US');
  const s = String(Math.abs(n));
  let i = s.length % 3 || 3;
  let out = n < 0 ? '-' + s.slice(0, i) : s.slice(0, i);
  for (; i < s.length; i += 3) out += ',' + s.slice(i, i + 3);
  return out;
}

export class EventLog {
  list: KEvent[] = [];
  task: string | undefined;
  /**
   * Tracing switch: when false, emit() and count() return at once and
   * nothing is recorded (benchmarks, bulk replays whose trail nobody reads).
   */
  enabled = true;
  /** While > 0, events are counted per function instead of listed. */
  private quiet = 0;
  private tally = new Map<string, { n: number; unit: string; pos: number }>();
  /** While quiet: where in the tally the function last counted will be listed (-1: none yet). */
  private lastPos = -1;

  /**
   * Index in `list` of the event running now: the last one listed, or, while
   * events are summarised, the place the last counted function's summary
   * will take when it is listed. A change the core makes now belongs to it
   * (./change-log.ts); -1 before the first event.
   */
  get current(): number {
    return this.quiet > 0 && this.lastPos >= 0 ? this.list.length + this.lastPos : this.list.length - 1;
  }

  /** True when an emitted detail would be kept: call sites may skip building one otherwise. */
  get listing(): boolean {
    return this.enabled && this.quiet === 0;
  }

  emit(fn: string, detail?: Detail, src?: string): void {
    if (!this.enabled) return;
    if (this.quiet > 0) {
      this.count(fn, 1, '');
      return;
    }
    const e: KEvent = { fn };
    if (this.task !== undefined) e.task = this.task;
    if (detail !== undefined) e.detail = typeof detail === 'string' ? detail : detail();
    if (src !== undefined) e.src = src;
    this.list.push(e);
  }

  /** Record n repetitions of fn (pages, faults, tables) without listing each. */
  count(fn: string, n: number, unit: string): void {
    if (n <= 0 || !this.enabled) return;
    if (this.quiet === 0) {
      this.emit(fn, `×${groupDigits(n)}${unit ? ' ' + unit : ''}`);
      return;
    }
    const t = this.tally.get(fn);
    if (t) {
      t.n += n;
      this.lastPos = t.pos;
    } else {
      this.lastPos = this.tally.size;
      this.tally.set(fn, { n, unit, pos: this.lastPos });
    }
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
      const e: KEvent = { fn, detail: `×${groupDigits(n)}${unit ? ' ' + unit : ''}` };
      if (this.task !== undefined) e.task = this.task;
      this.list.push(e);
    }
    this.tally.clear();
    this.lastPos = -1;
  }

  take(): KEvent[] {
    const l = this.list;
    this.list = [];
    return l;
  }
}
