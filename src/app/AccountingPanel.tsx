import { DEFAULT_MEMORY_PAGES } from '../core/budget';
import { useReducer } from 'react';
import { scaleLinear } from 'd3-scale';
import { cancelComparison, requestComparison } from '../store/compare';
import { useExplorer } from './context';
import { useSnapshot } from './derived';
import { formatBytes, formatCount } from './format';

const PAGE = 4096;
/** Task rows listed; the rest are summed in one row. */
const MAX_ROWS = 40;

interface Bar {
  label: string;
  with: number;
  without: number | null;
}

/** Page-table bytes by level per task (VmPTE), the totals, the scenario without sharing beside it, memory left. */
export function AccountingPanel() {
  const snap = useSnapshot();
  const loaded = useExplorer((s) => s.loaded);
  const cursor = useExplorer((s) => s.cursor);
  // The comparison runs in a worker; a finished one re-renders this panel.
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const state = loaded ? requestComparison(loaded.text, loaded.scenario, rerender) : null;
  const compare = state && state.status === 'done' ? state : null;

  if (!snap || !snap.ok) return <p className="muted">No accounting: the simulation is not available at this step.</p>;
  const s = snap.snapshot;
  const levels = s.paging === 5 ? (['pte', 'pmd', 'pud', 'p4d'] as const) : (['pte', 'pmd', 'pud'] as const);
  const tasks = s.report.tasks.filter((t) => t.state === 'running');
  const at = s.step;
  const twinStep = compare?.ok && compare.report && at > 0 ? compare.report.steps[at - 1] : undefined;
  const twinBytes = (name: string): number | null =>
    compare?.ok && compare.report ? (at === 0 ? 0 : (twinStep?.pgtables_bytes[name] ?? 0)) : null;
  const hostBytes = s.report.mshare.reduce((a, m) => a + m.pgtables_bytes, 0);
  const totalWith = tasks.reduce((a, t) => a + t.pgtables_bytes, 0) + hostBytes;
  const totalWithout = compare?.ok && compare.report ? Object.values(twinStep?.pgtables_bytes ?? {}).reduce((a, b) => a + b, 0) : null;

  const bars: Bar[] = [
    ...tasks.slice(0, 24).map((t) => ({ label: t.name, with: t.pgtables_bytes, without: twinBytes(t.name) })),
    ...s.report.mshare.map((m) => ({ label: `mshare ${m.name} (host mm)`, with: m.pgtables_bytes, without: null })),
  ];
  const mem = s.memory;
  return (
    <div className="accounting" data-testid="accounting">
      <table className="acct-table">
        <caption>
          Page-table memory after step {s.step}
          {s.step !== cursor ? ' (step ' + cursor + ' is being computed)' : ''} (VmPTE counts PTE, PMD and PUD pages)
        </caption>
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
          {tasks.slice(0, MAX_ROWS).map((t) => (
            <tr key={t.name} data-task={t.name}>
              <th scope="row">{t.name}</th>
              {levels.map((l) => (
                <td key={l} title={`${formatCount(t.table_pages[l] ?? 0)} ${l.toUpperCase()} pages`}>
                  {formatBytes((t.table_pages[l] ?? 0) * PAGE)}
                </td>
              ))}
              <td className="vmpte" data-testid={`vmpte-${t.name}`}>
                {formatBytes(t.pgtables_bytes)}
              </td>
            </tr>
          ))}
          {tasks.length > MAX_ROWS && (
            <tr>
              <th scope="row">{formatCount(tasks.length - MAX_ROWS)} more tasks</th>
              {levels.map((l) => (
                <td key={l}>{formatBytes(tasks.slice(MAX_ROWS).reduce((a, t) => a + (t.table_pages[l] ?? 0), 0) * PAGE)}</td>
              ))}
              <td className="vmpte">{formatBytes(tasks.slice(MAX_ROWS).reduce((a, t) => a + t.pgtables_bytes, 0))}</td>
            </tr>
          )}
          {s.report.mshare.map((m) => (
            <tr key={`mshare:${m.name}`} data-mshare={m.name}>
              <th scope="row">mshare “{m.name}” host</th>
              <td colSpan={levels.length} className="muted">
                refcount {m.refcount}
              </td>
              <td className="vmpte">{formatBytes(m.pgtables_bytes)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">physical pages</th>
            {levels.map((l) => (
              <td key={l}>{formatCount(s.report.totals.table_pages[l])}</td>
            ))}
            <td data-testid="vmpte-total">{formatBytes(totalWith)}</td>
          </tr>
        </tfoot>
      </table>
      {s.paging === 5 && <p className="note">P4D pages are not in VmPTE: Linux keeps no counter for them.</p>}

      <h3 className="sub-title">With and without sharing</h3>
      {state?.status === 'running' && (
        <p className="muted" role="status" data-testid="compare-running">
          Running the same scenario without sharing… (a big scenario can take a while){' '}
          <button type="button" onClick={cancelComparison}>
            Stop
          </button>
        </p>
      )}      {compare && !compare.ok && <p className="muted">The comparison could not be run: {compare.message}</p>}
      {compare?.ok && compare.report === null && (
        <p className="muted" data-testid="no-compare">
          This scenario runs on mainline Linux: there is no sharing to compare against.
        </p>
      )}
      <BarChart bars={bars} totalWith={totalWith} totalWithout={totalWithout} />

      <h3 className="sub-title">Memory</h3>
      {mem.limitPages === null ? (
        <p className="muted">No memory directive: the machine has the default {formatBytes(DEFAULT_MEMORY_PAGES * PAGE)} of RAM ({formatBytes(mem.usedPages * PAGE)} in use).</p>
      ) : (
        <MemoryBar used={mem.usedPages} limit={mem.limitPages} />
      )}
    </div>
  );
}

function BarChart({ bars, totalWith, totalWithout }: { bars: Bar[]; totalWith: number; totalWithout: number | null }) {
  const rows: Bar[] = [...bars, { label: 'total', with: totalWith, without: totalWithout }];
  const max = Math.max(1, ...rows.map((b) => Math.max(b.with, b.without ?? 0)));
  const x = scaleLinear().domain([0, max]).range([0, 170]);
  const rowH = totalWithout === null ? 18 : 30;
  const height = rows.length * (rowH + 8) + 24;
  return (
    <figure className="chart" data-testid="compare-chart">
      <svg width="100%" viewBox={`0 0 330 ${height}`} role="img" aria-label={chartLabel(rows)}>
        {rows.map((b, i) => {
          const y = i * (rowH + 8);
          return (
            <g key={b.label} transform={`translate(0,${y})`}>
              <text x={0} y={12} className="chart-label">
                {b.label.length > 14 ? b.label.slice(0, 13) + '…' : b.label}
              </text>
              <rect x={100} y={2} height={12} width={Math.max(1, x(b.with))} className="bar-with" />
              <text x={104 + x(b.with)} y={12} className="chart-value">
                {formatBytes(b.with)}
              </text>
              {b.without !== null && totalWithout !== null && (
                <>
                  <rect x={100} y={16} height={12} width={Math.max(1, x(b.without))} className="bar-without" />
                  <text x={104 + x(b.without)} y={26} className="chart-value">
                    {formatBytes(b.without)}
                  </text>
                </>
              )}
            </g>
          );
        })}
        <g transform={`translate(100,${height - 12})`}>
          <rect width={10} height={10} className="bar-with" />
          <text x={14} y={9} className="chart-value">
            this scenario
          </text>
          {totalWithout !== null && (
            <>
              <rect x={110} width={10} height={10} className="bar-without" />
              <text x={124} y={9} className="chart-value">
                without sharing
              </text>
            </>
          )}
        </g>
      </svg>
    </figure>
  );
}

function chartLabel(rows: Bar[]): string {
  return (
    'Page-table bytes: ' +
    rows.map((b) => `${b.label} ${formatBytes(b.with)}${b.without !== null ? `, without sharing ${formatBytes(b.without)}` : ''}`).join('; ')
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
        {formatBytes(used * PAGE)} of {formatBytes(limit * PAGE)} in use ({pct.toFixed(1)}%): {formatBytes((limit - used) * PAGE)} left
        {level === 'danger' ? ' — nearly out of memory' : ''}.
      </p>
    </div>
  );
}
