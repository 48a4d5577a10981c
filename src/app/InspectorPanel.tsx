import type { EntryInfo, Forest, NodeInfo } from '../core/inspect';
import { flagNames } from '../core/paging';
import { LEVEL_LABEL, nodeLabel } from '../store/derive';
import { useExplorer, useExplorerStore } from './context';
import { useSnapshot, useStepInfo } from './derived';
import { formatCount, hex } from './format';
import { setTraceFocus } from './traceFocus';
import { insideAt, treeModelFor } from '../views/treeModel';
import { eventsTouching } from '../views/treeChanges';

const FLAG_MEANING: Record<string, string> = {
  P: 'present: the MMU may use this entry',
  RW: 'writable (if clear, writes fault)',
  US: 'user: reachable from user mode',
  PWT: 'page write-through caching',
  PCD: 'page cache disabled',
  A: 'accessed: set by the MMU on use',
  D: 'dirty: set by the MMU on a write (leaf entries)',
  PS: 'page size: this entry maps a huge page itself',
  G: 'global: kept in the TLB across address-space switches (PROT_NONE reuses it)',
  NX: 'no execute (bit 63)',
};

/**
 * What is selected in the tree: an entry (raw value, flags, PFN, target) or a table page (level, owner, parents,
 * entries).
 */
export function InspectorPanel() {
  const selection = useExplorer((s) => s.selection);
  const snap = useSnapshot();
  const store = useExplorerStore();
  if (!selection) {
    return (
      <p className="muted" data-testid="inspector">
        Select a table page or one of its entries in the tree to inspect it.
      </p>
    );
  }
  const forest = snap?.ok ? snap.snapshot.forest : null;
  const node = forest?.nodes[selection.node];
  if (!forest || !node) {
    return (
      <div data-testid="inspector">
        <p className="muted">The selected page does not exist at this step.</p>
        <button type="button" onClick={() => store.getState().select(null)}>
          Clear selection
        </button>
      </div>
    );
  }
  if (selection.kind === 'entry') {
    const entry = node.entries.find((e) => e.index === selection.index);
    if (!entry) {
      return (
        <div data-testid="inspector">
          <p className="muted">
            Entry {selection.index} of this {LEVEL_LABEL[node.level]} page is empty at this step.
          </p>
          <NodeLink forest={forest} id={node.id} />
        </div>
      );
    }
    return <EntryView forest={forest} node={node} entry={entry} />;
  }
  return <NodeView forest={forest} node={node} />;
}

function NodeLink({ forest, id, index }: { forest: Forest; id: string; index?: number }) {
  const store = useExplorerStore();
  const n = forest.nodes[id];
  if (!n) return <span>{id}</span>;
  return (
    <button
      type="button"
      className="link-button"
      onClick={() =>
        store.getState().select(index === undefined ? { kind: 'node', node: id } : { kind: 'entry', node: id, index })
      }
    >
      {index === undefined ? nodeLabel(n) : `entry ${index} of the ${nodeLabel(n)}`}
    </button>
  );
}

function EntryView({ forest, node, entry }: { forest: Forest; node: NodeInfo; entry: EntryInfo }) {
  const target = forest.nodes[entry.target];
  const level = LEVEL_LABEL[node.level] ?? node.level;
  return (
    <div className="inspector" data-testid="inspector">
      <h3 className="sub-title">
        {level} entry {entry.index}
      </h3>
      <dl className="facts">
        <dt>In</dt>
        <dd>
          <NodeLink forest={forest} id={node.id} />
        </dd>
        <dt>Raw value</dt>
        <dd>
          <code data-testid="entry-value">{entry.value}</code>
        </dd>
        <dt>PFN</dt>
        <dd>
          <code>{hex(entry.pfn)}</code> (physical address <code>{'0x' + (BigInt(entry.pfn) << 12n).toString(16)}</code>)
        </dd>
        <dt>Points to</dt>
        <dd>{target ? <NodeLink forest={forest} id={target.id} /> : 'nothing listed'}</dd>
        <dt>Maps</dt>
        <dd>
          <code>{entry.from}</code> – <code>{entry.to}</code>
        </dd>
      </dl>
      <TouchedBy node={node.id} index={entry.index} />
      <table className="flags-table" data-testid="flags">
        <caption>Flags</caption>
        <thead>
          <tr>
            <th scope="col">bit</th>
            <th scope="col">set</th>
            <th scope="col">meaning</th>
          </tr>
        </thead>
        <tbody>
          {flagNames(entry.flags).map((f) => (
            <tr
              key={f.name}
              className={f.set ? 'flag-set' : 'flag-clear'}
              data-flag={f.name}
              data-set={f.set ? 'true' : 'false'}
            >
              <th scope="row">{f.name}</th>
              <td>{f.set ? 'set' : 'clear'}</td>
              <td>{FLAG_MEANING[f.name]}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function NodeView({ forest, node }: { forest: Forest; node: NodeInfo }) {
  const store = useExplorerStore();
  const expanded = useExplorer((s) => s.expanded);
  const pointing: { node: string; index: number }[] = [];
  for (const p of node.parents) {
    for (const e of forest.nodes[p]?.entries ?? [])
      if (e.target === node.id) pointing.push({ node: p, index: e.index });
  }
  const roots = forest.roots.filter((r) => r.node === node.id).map((r) => r.mm);
  return (
    <div className="inspector" data-testid="inspector">
      <h3 className="sub-title">{nodeLabel(node)}</h3>
      <dl className="facts">
        <dt>Level</dt>
        <dd>
          {node.kind === 'data'
            ? 'data page'
            : `${LEVEL_LABEL[node.level]}${node.kind === 'summary' ? ' (summary of a populated range)' : ''}`}
        </dd>
        <dt>PFN</dt>
        <dd>
          <code>{hex(node.pfn)}</code>
        </dd>
        <dt>{node.kind === 'data' ? 'What' : 'Allocated by'}</dt>
        <dd>{node.owner || '—'}</dd>
        {roots.length > 0 && (
          <>
            <dt>Root of</dt>
            <dd>{roots.join(', ')}</dd>
          </>
        )}
        {node.summary && (
          <>
            <dt>Holds</dt>
            <dd>{node.summary.text}</dd>
          </>
        )}
      </dl>
      {node.kind !== 'summary' && <TouchedBy node={node.id} index={null} />}
      {node.summary && (
        <button type="button" onClick={() => store.getState().toggleExpanded(node.id)}>
          {expanded.includes(node.id) ? 'Collapse this range' : 'Open this range'}
        </button>
      )}
      <h4>
        Pointed to by {pointing.length} entr{pointing.length === 1 ? 'y' : 'ies'}
        {pointing.length > 1 ? ' (shared)' : ''}
      </h4>
      {pointing.length === 0 ? (
        <p className="muted">
          {roots.length ? 'Nothing: it is the top of a tree (CR3 points here).' : 'No listed entry.'}
        </p>
      ) : (
        <ul className="plain" data-testid="pointed-by">
          {pointing.map((p) => (
            <li key={`${p.node}:${p.index}`}>
              <NodeLink forest={forest} id={p.node} index={p.index} />
            </li>
          ))}
        </ul>
      )}
      {node.kind === 'table' && (
        <>
          <h4>
            {formatCount(node.present)} present entr{node.present === 1 ? 'y' : 'ies'}
            {node.entries.length < node.present ? ` (first ${node.entries.length} listed)` : ''}
          </h4>
          <ul className="plain entries" data-testid="present-entries">
            {node.entries.map((e) => (
              <li key={e.index}>
                <button
                  type="button"
                  className="link-button"
                  onClick={() => store.getState().select({ kind: 'entry', node: node.id, index: e.index })}
                >
                  [{e.index}] <code>{e.value}</code>
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}

/**
 * This step's events that touched the selected entry or page (trace ↔ tree):
 * from the step's changes (each names the event that made it) and, for a
 * copy (set_pgd, set_p4d, huge_pmd_share), both entries it involved. Picking
 * one highlights it in the trace and in the tree.
 */
function TouchedBy({ node, index }: { node: string; index: number | null }) {
  const { step, report } = useStepInfo();
  const snap = useSnapshot();
  const selection = useExplorer((s) => s.selection);
  const openTables = useExplorer((s) => s.openTables);
  const store = useExplorerStore();
  if (!report || !snap?.ok) return null;
  const model = treeModelFor(snap.snapshot, step, report, selection, openTables);
  const events = new Set(eventsTouching(model.changes, node, index));
  // Inside a step the model holds the changes and copies made so far; the events named are those done too.
  const inside = insideAt(snap.snapshot);
  for (const c of model.copies) {
    const involved =
      (c.from.node === node && (index === null || c.from.index === index)) ||
      (c.to.node === node && (index === null || c.to.index === index));
    if (!involved) continue;
    report.events.forEach((e, i) => {
      if (e.fn === c.fn && (inside === null || i < inside)) events.add(i);
    });
  }
  const list = [...events].sort((a, b) => a - b);
  return (
    <>
      <h4>{inside === null ? 'At this step' : `At this step, up to event ${inside}`}</h4>
      {list.length === 0 ? (
        <p className="muted" data-testid="touched-by">
          No call of this step changed it.
        </p>
      ) : (
        <ul className="plain" data-testid="touched-by">
          {list.map((i) => {
            const e = report.events[i];
            if (!e) return null;
            return (
              <li key={i}>
                <button
                  type="button"
                  className="link-button"
                  onClick={() => {
                    setTraceFocus({ step: report, selected: i });
                    store.getState().setTab('trace');
                  }}
                >
                  <code>{e.fn}</code>
                  {e.task ? ` (${e.task})` : ''}
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </>
  );
}
