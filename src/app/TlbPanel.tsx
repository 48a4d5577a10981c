/**
 * The TLB tab (issue 17), shown only for scenarios that declare `cpus N`:
 * one card per CPU (its task, loaded mm and PCID, lazy or not, its entries
 * VA → PFN with permissions and PCID, stale ones marked), this step's
 * flushes with the CPUs each reached, hits versus walks, and any stale hit.
 * Everything comes from the step's report field `tlb` (src/scenario/report-tlb.ts).
 */
import { useStepInfo } from './derived';
import type { ReportCpu, ReportTlb } from '../scenario/report-tlb';
import type { FlushRecord } from '../core/tlb';

export function TlbPanel() {
  const { cursor, report, pending } = useStepInfo();
  if (!report) {
    return (
      <div className="tlb-panel" data-testid="tlb-panel" aria-busy={pending}>
        <p className="muted">
          {cursor === 0
            ? 'Before the first step: every TLB is empty.'
            : pending
              ? `Computing step ${cursor}…`
              : 'No TLB state for this step.'}
        </p>
      </div>
    );
  }
  const t = report.tlb;
  if (!t) {
    return (
      <div className="tlb-panel" data-testid="tlb-panel">
        <p className="muted">
          This scenario declares no CPUs: add “cpus 2” before the first step to see each CPU’s TLB.
        </p>
      </div>
    );
  }
  return (
    <div className="tlb-panel" data-testid="tlb-panel">
      <StepSummary t={t} />
      {t.stale.map((s, i) => (
        <p key={i} className="tlb-stale-banner" role="alert" data-testid="tlb-stale-hit">
          <strong>Stale TLB hit</strong> on CPU {s.cpu}: {s.va} → pfn 0x{s.pfn.toString(16)} ({s.why}). That frame now
          belongs to {s.owner}.
        </p>
      ))}
      {t.flushes.map((f, i) => (
        <FlushRow key={i} f={f} cpus={t.cpus.length} />
      ))}
      <div className="tlb-cpus">
        {t.cpus.map((c) => (
          <CpuCard
            key={c.cpu}
            c={c}
            flushed={t.flushes.some((f) => f.reached.includes(c.cpu))}
            skipped={t.flushes.some((f) => f.skipped_lazy.includes(c.cpu))}
          />
        ))}
      </div>
    </div>
  );
}

function StepSummary({ t }: { t: ReportTlb }) {
  if (t.hits === 0 && t.walks === 0) return null;
  const good = t.hits - t.stale.length;
  return (
    <p className="tlb-summary" data-testid="tlb-summary">
      This step:{' '}
      <span className="tlb-hit-count">
        {good} TLB hit{good === 1 ? '' : 's'}
      </span>{' '}
      (no walk),{' '}
      {t.stale.length > 0 && (
        <>
          <span className="tlb-stale-count">
            {t.stale.length} stale hit{t.stale.length === 1 ? '' : 's'}
          </span>
          ,{' '}
        </>
      )}
      <span className="tlb-walk-count">
        {t.walks} walk{t.walks === 1 ? '' : 's'}
      </span>{' '}
      that filled an entry.
    </p>
  );
}

function FlushRow({ f, cpus }: { f: FlushRecord; cpus: number }) {
  const what =
    f.fn === 'flush_tlb_all'
      ? 'flush_tlb_all(): every PCID'
      : `${f.mm}’s mm, ${f.full ? 'full flush' : `INVLPG ${f.start}–${f.end}`}${f.freed_tables ? ', freed_tables' : ''}`;
  return (
    <div className="tlb-flush" data-testid="tlb-flush">
      <div className="tlb-flush-head">
        <code>{f.fn}</code> <span className="muted">from {f.why}</span>
      </div>
      <div className="tlb-flush-what">{what}</div>
      <ol className="tlb-ipi" aria-label="CPUs the flush reached">
        {Array.from({ length: cpus }, (_, id) => {
          const reached = f.reached.includes(id);
          const lazy = f.skipped_lazy.includes(id);
          const left = f.to_init_mm.includes(id);
          return (
            <li key={id} className={reached ? 'tlb-ipi-hit' : lazy ? 'tlb-ipi-lazy' : 'tlb-ipi-miss'}>
              CPU {id}:{' '}
              {left ? '✓ lazy: left for init_mm' : reached ? '✓ flushed' : lazy ? 'skipped (lazy)' : 'not reached'}
            </li>
          );
        })}
      </ol>
    </div>
  );
}

function CpuCard({ c, flushed, skipped }: { c: ReportCpu; flushed: boolean; skipped: boolean }) {
  const state = c.task ? `runs ${c.task}` : c.mm ? `idle, lazy on ${c.mm}’s mm` : 'idle (init_mm)';
  return (
    <section
      className={`tlb-cpu${flushed ? ' tlb-cpu-flushed' : ''}`}
      aria-label={`CPU ${c.cpu}`}
      data-testid={`tlb-cpu-${c.cpu}`}
    >
      <header className="tlb-cpu-head">
        <span className="tlb-cpu-name">CPU {c.cpu}</span>
        <span className="tlb-cpu-state">{state}</span>
        {c.pcid !== null && <span className="tlb-pcid">PCID {c.pcid}</span>}
        {flushed && <span className="tlb-badge tlb-badge-flush">flushed</span>}
        {skipped && <span className="tlb-badge tlb-badge-lazy">IPI skipped</span>}
      </header>
      {c.entries.length === 0 ? (
        <p className="muted tlb-empty">No entries.</p>
      ) : (
        <table className="tlb-entries">
          <thead>
            <tr>
              <th scope="col">VA</th>
              <th scope="col">PFN</th>
              <th scope="col">perm</th>
              <th scope="col">PCID</th>
            </tr>
          </thead>
          <tbody>
            {c.entries.map((e, i) => (
              <tr
                key={i}
                className={
                  e.stale
                    ? 'tlb-row-stale'
                    : e.behind || e.dead
                      ? 'tlb-row-old'
                      : e.pcid === c.pcid
                        ? 'tlb-row-live'
                        : 'tlb-row-other'
                }
                title={`${e.mm}’s translation${e.pages > 1 ? ` (${e.pages} pages)` : ''}${e.stale ? ': STALE, the tables say otherwise now and nothing will flush it' : e.behind ? ': out of date, flushed before this PCID is used again' : e.dead ? ': its mm is gone or lost the PCID, never hit again' : e.pcid === c.pcid ? '' : ': another PCID, kept across the switch'}`}
              >
                <td>
                  <code>{e.va}</code>
                </td>
                <td>
                  <code>0x{e.pfn.toString(16)}</code>
                </td>
                <td>
                  <code>{e.perms}</code>
                </td>
                <td>
                  {e.pcid}
                  {e.stale && <span className="tlb-stale-mark"> STALE</span>}
                  {e.behind && <span className="tlb-old-mark"> (flushed before use)</span>}
                  {e.dead && <span className="tlb-old-mark"> (unused)</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {c.psc > 0 && (
        <p className="tlb-psc muted">
          + {c.psc} paging-structure cache entr{c.psc === 1 ? 'y' : 'ies'}
        </p>
      )}
    </section>
  );
}
