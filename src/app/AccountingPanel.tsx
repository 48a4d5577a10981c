import { DEFAULT_MEMORY_PAGES } from '../core/budget';
import { useEffect, useSyncExternalStore } from 'react';
import { bytesInWords, collapseRuns, oomWords, twinOom } from '../scenario/accounting-words';
import type { TwinAt, TwinOom } from '../scenario/twin';
import type { ReportTask } from '../scenario/report';
import type { Snapshot } from '../store/sim';
import {
  cancelComparison,
  comparisonState,
  keepTrying,
  subscribeComparison,
  wantComparison,
  type CompareState,
} from '../store/compare';
import { useExplorer } from './context';
import { useSnapshot } from './derived';
import { formatBytes, formatCount } from './format';

const PAGE = 4096;
/** Rows of the table (a row may stand for a run of identical tasks); the rest are summed in one row. */
const MAX_ROWS = 40;
/** Rows of the chart, likewise. */
const MAX_BARS = 8;
/** Characters of a name in the chart (with its "1,139 tasks, each" it must fit the 330-unit width). */
const LABEL_MAX = 24;

const NONE: CompareState = { status: 'none' };

/**
 * Inside a step (moving by event, issue 14): which moment the figures are of. `figures`: the report is the
 * moment's (src/store/eventReport.ts); else the whole step's, and why.
 */
function insideOf(s: Snapshot): { done: number; of: number; figures: boolean; why: string } | null {
  const e = s.event;
  if (!e || e.done < 1 || e.done >= e.of) return null;
  if (e.whole) return { ...e, figures: false, why: 'the step cannot be shown event by event' };
  if (e.wholeFigures)
    return { ...e, figures: false, why: 'table pages change hands in it (recharged), and no event says which levels' };
  return { ...e, figures: true, why: '' };
}

/**
 * Page-table bytes: the totals first (with sharing, and without it: what
 * was needed and, when the twin ran out of memory, what fit, said in words),
 * then the chart and the table by task, identical tasks in one row, then
 * memory left. The twin is computed up to the step shown, in a worker.
 */
export function AccountingPanel() {
  const snap = useSnapshot();
  const loaded = useExplorer((s) => s.loaded);
  const cursor = useExplorer((s) => s.cursor);
  // The twin follows the step on screen (which may lag the cursor while it computes), and
  // waits while the scenario itself cannot be shown: a step too costly to simulate is not run twice.
  const step = snap?.ok ? snap.snapshot.step : null;
  useEffect(() => {
    if (loaded && step !== null) wantComparison(loaded.text, loaded.scenario, step);
  }, [loaded, step]);
  const cmp = useSyncExternalStore(subscribeComparison, () =>
    loaded && step !== null ? comparisonState(loaded.text, loaded.scenario, step) : NONE,
  );

  if (!snap || !snap.ok || !loaded)
    return <p className="muted">No accounting: the simulation is not available at this step.</p>;
  const s = snap.snapshot;
  const levels = s.paging === 5 ? (['pte', 'pmd', 'pud', 'p4d'] as const) : (['pte', 'pmd', 'pud'] as const);
  const tasks = s.report.tasks.filter((t) => t.state === 'running');
  const hostBytes = s.report.mshare.reduce((a, m) => a + m.pgtables_bytes, 0);
  const totalWith = tasks.reduce((a, t) => a + t.pgtables_bytes, 0) + hostBytes;
  const at = cmp.status === 'done' ? cmp.at : null;
  const oom = at ? twinOom(at, totalWith, loaded.scenario) : null;
  const kernel = loaded.scenario.kernel;

  const tableRows = collapseRuns(
    tasks,
    (t) => t.name,
    (t) => `${levels.map((l) => t.table_pages[l] ?? 0).join(' ')} ${t.pgtables_bytes}`,
  );
  const shownRows = tableRows.slice(0, MAX_ROWS);
  const restTasks = tableRows.slice(MAX_ROWS).flatMap((g) => g.names);
  const restSet = new Set(restTasks);
  const rest = restTasks.length ? tasks.filter((t) => restSet.has(t.name)) : [];
  const mem = s.memory;
  const inside = insideOf(s);
  const when = inside?.figures
    ? `after event ${inside.done} of ${inside.of} of step ${s.step}`
    : `after step ${s.step}`;
  return (
    <div className="accounting" data-testid="accounting">
      <section className="acct-totals" aria-labelledby="acct-totals-title" data-testid="acct-totals">
        <h3 className="sub-title" id="acct-totals-title" data-testid="acct-when">
          Page tables {when}
          {s.step !== cursor ? <span className="muted"> (step {cursor} is being computed)</span> : null}
        </h3>
        {inside && (
          <p className="muted acct-inside" data-testid="acct-inside">
            {inside.figures
              ? `With sharing: at this event, as the tree shows it. Without sharing: the whole step (that run goes statement by statement).`
              : `The tree shows event ${inside.done} of ${inside.of}, but these figures are the whole step's: ${inside.why}.`}
          </p>
        )}
        <dl className="acct-sum">
          <dt>{kernel === 'mainline' ? 'All tasks (VmPTE)' : `With ${kernel}`}</dt>
          <dd data-testid="total-with">{bytesInWords(totalWith)}</dd>
          {at && (
            <>
              <dt>{oom ? 'Without sharing, needed' : 'Without sharing'}</dt>
              <dd data-testid="total-without">{bytesInWords(at.neededTotal)}</dd>
            </>
          )}
          {oom && (
            <>
              <dt>
                Without sharing, held by the {formatCount(oom.fit)} {oom.fit === 1 ? 'task' : 'tasks'} that fit
              </dt>
              <dd data-testid="total-fit">{bytesInWords(oom.fit_pgtables_bytes)}</dd>
            </>
          )}
        </dl>
        {oom && (
          <p className="acct-oom" data-testid="twin-oom">
            {oomWords(oom)}
          </p>
        )}
        <CompareStatus state={cmp} />
      </section>

      {cmp.status !== 'none' && (
        <>
          <h3 className="sub-title">With and without sharing</h3>
          <BarChart tasks={tasks} hosts={s.report.mshare} at={at} oom={oom} totalWith={totalWith} kernel={kernel} />
        </>
      )}

      <table className="acct-table">
        <caption>By task {when} (VmPTE counts PTE, PMD and PUD pages)</caption>
        <thead>
          <tr>
            <th scope="col">mm</th>
            {levels.map((l) => (
              <th scope="col" key={l}>
                {l.toUpperCase()}
              </th>
            ))}
            <th scope="col">VmPTE</th>
          </tr>
        </thead>
        <tbody>
          {tasks.length === 0 && s.report.mshare.length === 0 && (
            <tr>
              <td colSpan={levels.length + 2} className="muted">
                No task is running.
              </td>
            </tr>
          )}
          {shownRows.map((g) => {
            const t = g.first;
            const many = g.names.length > 1;
            const each = many ? ' each' : '';
            return (
              <tr
                key={t.name}
                {...(many ? { 'data-tasks': g.label, 'data-count': g.names.length } : { 'data-task': t.name })}
              >
                <th scope="row">
                  <span className="acct-name">{g.label}</span>
                  {many && <span className="acct-each">{formatCount(g.names.length)} tasks, each</span>}
                </th>
                {levels.map((l) => (
                  <td key={l} title={`${formatCount(t.table_pages[l] ?? 0)} ${l.toUpperCase()} pages${each}`}>
                    {bytesInWords((t.table_pages[l] ?? 0) * PAGE)}
                  </td>
                ))}
                <td className="vmpte" data-testid={`vmpte-${g.label}`}>
                  {bytesInWords(t.pgtables_bytes)}
                </td>
              </tr>
            );
          })}
          {rest.length > 0 && (
            <tr>
              <th scope="row">{formatCount(rest.length)} more tasks</th>
              {levels.map((l) => (
                <td key={l}>{bytesInWords(rest.reduce((a, t) => a + (t.table_pages[l] ?? 0), 0) * PAGE)}</td>
              ))}
              <td className="vmpte">{bytesInWords(rest.reduce((a, t) => a + t.pgtables_bytes, 0))}</td>
            </tr>
          )}
          {s.report.mshare.map((m) => (
            <tr key={`mshare:${m.name}`} data-mshare={m.name}>
              <th scope="row">mshare “{m.name}” host</th>
              <td colSpan={levels.length} className="muted">
                refcount {m.refcount}
              </td>
              <td className="vmpte">{bytesInWords(m.pgtables_bytes)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">physical pages</th>
            {levels.map((l) => (
              <td key={l}>{formatCount(s.report.totals.table_pages[l])}</td>
            ))}
            <td data-testid="vmpte-total">{bytesInWords(totalWith)}</td>
          </tr>
        </tfoot>
      </table>
      {s.paging === 5 && <p className="note">P4D pages are not in VmPTE: Linux keeps no counter for them.</p>}

      <h3 className="sub-title">Memory</h3>
      {mem.limitPages === null ? (
        <p className="muted">
          No memory directive: the machine has the default {formatBytes(DEFAULT_MEMORY_PAGES * PAGE)} of RAM (
          {formatBytes(mem.usedPages * PAGE)} in use).
        </p>
      ) : (
        <MemoryBar used={mem.usedPages} limit={mem.limitPages} />
      )}
    </div>
  );
}

function CompareStatus({ state }: { state: CompareState }) {
  switch (state.status) {
    case 'none':
      return (
        <p className="muted" data-testid="no-compare">
          This scenario runs on mainline Linux: there is no sharing to compare against.
        </p>
      );
    case 'done':
      return null;
    case 'running':
      return (
        <p className="muted acct-running" role="status" data-testid="compare-running">
          Running the same scenario without sharing up to step {state.step}…{' '}
          <button type="button" onClick={cancelComparison}>
            Stop
          </button>
        </p>
      );
    case 'stopped':
      return (
        <p className="acct-stopped" role="status" data-testid="compare-stopped">
          {state.byBudget
            ? `Stopped: running the scenario without sharing up to step ${state.step} took longer than ${Math.round(state.budgetMs / 1000)} s, so there is nothing to compare at this step.`
            : 'The comparison was stopped.'}{' '}
          <button type="button" onClick={keepTrying}>
            {state.byBudget ? 'Keep trying' : 'Run it again'}
          </button>
        </p>
      );
    case 'failed':
      return <p className="muted">The comparison could not be run: {state.message}</p>;
  }
}

interface Bar {
  label: string;
  /** "1,139 tasks, each" under the label. */
  sub?: string;
  with: number;
  /** Without sharing: what fit (null: no twin figure; 'killed': OOM-killed there). */
  fit: number | null | 'killed';
  /** Without sharing: what was needed (equal to fit unless the twin ran out of memory). */
  needed: number | null;
}

function BarChart({
  tasks,
  hosts,
  at,
  oom,
  totalWith,
  kernel,
}: {
  tasks: ReportTask[];
  hosts: { name: string; pgtables_bytes: number }[];
  at: TwinAt | null;
  oom: TwinOom | null;
  totalWith: number;
  kernel: string;
}) {
  const fitOf = (name: string): number | null | 'killed' => {
    if (!at) return null;
    const b = at.fit[name];
    return b !== undefined ? b : at.needed && at.needed[name] !== undefined ? 'killed' : 0;
  };
  const neededOf = (name: string): number | null => (at ? (at.needed?.[name] ?? at.fit[name] ?? 0) : null);
  const groups = collapseRuns(
    tasks,
    (t) => t.name,
    (t) => `${t.pgtables_bytes} ${fitOf(t.name)} ${neededOf(t.name)}`,
  );
  const shown = groups.slice(0, MAX_BARS);
  const restNames = groups.slice(MAX_BARS).flatMap((g) => g.names);
  const restSet = new Set(restNames);
  const rest = tasks.filter((t) => restSet.has(t.name));
  const bars: Bar[] = [
    {
      label: 'total',
      sub: 'all mms',
      with: totalWith,
      fit: at ? (oom ? oom.fit_pgtables_bytes : at.fitTotal) : null,
      needed: at ? at.neededTotal : null,
    },
    ...shown.map((g) => ({
      label: g.label,
      ...(g.names.length > 1 ? { sub: `${formatCount(g.names.length)} tasks, each` } : {}),
      with: g.first.pgtables_bytes,
      fit: fitOf(g.first.name),
      needed: neededOf(g.first.name),
    })),
    ...(rest.length
      ? [
          {
            label: `${formatCount(rest.length)} more`,
            sub: 'tasks, in all',
            with: rest.reduce((a, t) => a + t.pgtables_bytes, 0),
            fit: at ? rest.reduce((a, t) => a + (at.fit[t.name] ?? 0), 0) : null,
            needed: at ? rest.reduce((a, t) => a + (neededOf(t.name) ?? 0), 0) : null,
          },
        ]
      : []),
    ...hosts.map((m) => ({
      label: `mshare ${m.name}`,
      sub: 'host mm',
      with: m.pgtables_bytes,
      fit: null,
      needed: null,
    })),
  ];
  const max = Math.max(1, ...bars.map((b) => Math.max(b.with, b.needed ?? 0, typeof b.fit === 'number' ? b.fit : 0)));
  // Bytes to pixels: [0, max] onto [0, 190] (a linear scale; d3-scale's would bring d3-format and d3-time into the
  // first load).
  const x = (v: number): number => (v / max) * 190;
  const BAR = 13;
  const LINE = BAR + 4;
  let y = 0;
  const placed = bars.map((b) => {
    const lines: { cls: string; width: number | null; text: string }[] = [
      { cls: 'bar-with', width: b.with, text: bytesInWords(b.with) },
    ];
    if (b.needed !== null) {
      if (b.fit === b.needed) lines.push({ cls: 'bar-without', width: b.needed, text: bytesInWords(b.needed) });
      else {
        const fit = typeof b.fit === 'number' ? b.fit : 0;
        lines.push(
          b.fit === 'killed'
            ? { cls: 'chart-killed', width: null, text: 'killed out of memory' }
            : { cls: 'bar-without', width: fit, text: `${bytesInWords(fit)} fit` },
        );
        lines.push({ cls: 'bar-needed', width: b.needed, text: `${bytesInWords(b.needed)} needed` });
      }
    }
    const top = y;
    y += 18 + lines.length * LINE + 8;
    return { b, top, lines };
  });
  const legendY = y;
  const height = y + (oom ? 30 : 14);
  return (
    <figure className="chart" data-testid="compare-chart">
      <svg width="100%" viewBox={`0 0 330 ${height}`} role="img" aria-label={chartLabel(bars, kernel)}>
        {placed.map(({ b, top, lines }) => (
          <g key={b.label} className="chart-row">
            <text x={0} y={top + 13} className="chart-label">
              {/* Long names are cut to keep the row inside the chart; the whole name shows on hover (and is in the
                 chart's label). */}
              {b.label.length > LABEL_MAX ? <title>{b.label}</title> : null}
              {b.label.length > LABEL_MAX ? b.label.slice(0, LABEL_MAX - 1) + '…' : b.label}
              {b.sub && <tspan className="chart-sub">{`  ${b.sub}`}</tspan>}
            </text>
            {lines.map((l, i) => {
              const ly = top + 18 + i * LINE;
              return l.width === null ? (
                <text key={l.cls} x={0} y={ly + BAR - 2} className={`chart-value ${l.cls}`}>
                  {l.text}
                </text>
              ) : (
                <g key={l.cls}>
                  <rect x={0} y={ly} height={BAR} width={Math.max(1, x(l.width))} className={l.cls} />
                  <text x={x(l.width) + 5} y={ly + BAR - 2} className="chart-value">
                    {l.text}
                  </text>
                </g>
              );
            })}
          </g>
        ))}
        <g transform={`translate(0,${legendY})`} className="chart-legend">
          <rect width={10} height={10} className="bar-with" />
          <text x={14} y={9} className="chart-value">
            with {kernel}
          </text>
          {at && (
            <>
              <rect x={130} width={10} height={10} className="bar-without" />
              <text x={144} y={9} className="chart-value">
                without sharing{oom ? ': fit' : ''}
              </text>
            </>
          )}
          {oom && (
            <>
              <rect x={130} y={16} width={10} height={10} className="bar-needed" />
              <text x={144} y={25} className="chart-value">
                without sharing: needed
              </text>
            </>
          )}
        </g>
      </svg>
    </figure>
  );
}

function chartLabel(bars: Bar[], kernel: string): string {
  const without = (b: Bar): string => {
    if (b.needed === null) return '';
    if (b.fit === b.needed) return `, without sharing ${bytesInWords(b.needed)}`;
    const fit =
      b.fit === 'killed' ? 'killed out of memory' : `${bytesInWords(typeof b.fit === 'number' ? b.fit : 0)} fit`;
    return `, without sharing ${bytesInWords(b.needed)} needed (${fit})`;
  };
  return (
    `Page-table bytes with ${kernel}: ` +
    bars.map((b) => `${b.label}${b.sub ? ` (${b.sub})` : ''} ${bytesInWords(b.with)}${without(b)}`).join('; ')
  );
}

function MemoryBar({ used, limit }: { used: number; limit: number }) {
  const pct = limit > 0 ? Math.min(100, (used / limit) * 100) : 0;
  const level = pct >= 90 ? 'danger' : pct >= 70 ? 'warn' : 'ok';
  return (
    <div className="memory" data-testid="memory">
      <div
        className={`memory-bar ${level}`}
        role="meter"
        aria-label="Memory in use"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(pct)}
        aria-valuetext={`${formatBytes(used * PAGE)} of ${formatBytes(limit * PAGE)}`}
      >
        <div className="memory-fill" style={{ width: `${pct}%` }} />
      </div>
      <p>
        {formatBytes(used * PAGE)} of {formatBytes(limit * PAGE)} in use ({pct.toFixed(1)}%):{' '}
        {formatBytes((limit - used) * PAGE)} left
        {level === 'danger' ? ' — nearly out of memory' : ''}.
      </p>
    </div>
  );
}
