import { WorkerStalled } from './WorkerStalled';
import { LessonStart } from './NextLesson';
import { useEffect, useMemo, useRef, useState } from 'react';
import { stepAt } from '../store/derive';
import { createTreeView, type TreeHandle, type TreeModel } from '../views/treeView';
import { useExplorer, useExplorerStore } from './context';
import { loadedId, simClient, useSim } from './derived';
import { insideAt, rolesOf, treeModelFor, type TreeModelData } from '../views/treeModel';
import { formatCount } from './format';
import { focusedEvent, useTraceFocus } from './traceFocus';
import { touchedBy } from '../views/treeChanges';

/** Run fn when the page is idle (soon, where it never is); the id cancels it. */
function whenIdle(fn: () => void): number {
  if (typeof requestIdleCallback === 'function') return requestIdleCallback(fn, { timeout: 1000 });
  return window.setTimeout(fn, 50) as unknown as number;
}
function cancelIdle(id: number): void {
  if (typeof cancelIdleCallback === 'function') cancelIdleCallback(id);
  else clearTimeout(id);
}

/** What the tree view draws for a step: its laid-out model and the state of the page it is drawn in. */
function viewModel(
  m: TreeModelData,
  ui: Pick<TreeModel, 'stepKey' | 'hoverLevel' | 'selection' | 'roles' | 'traceHit'> & {
    loadCount: number;
    openTables: readonly string[];
    present: boolean;
  },
): TreeModel {
  return {
    layout: m.layout,
    walk: m.walk,
    copies: m.copies,
    animateWalk: m.animateWalk,
    changes: m.changes,
    stepKey: ui.stepKey,
    hoverLevel: ui.hoverLevel,
    selection: ui.selection,
    roles: ui.roles,
    ...(ui.traceHit ? { traceHit: ui.traceHit } : {}),
    fitKey: String(ui.loadCount),
    openTables: new Set(ui.openTables),
    // Issue 12: at 1280×720 the tree's smallest text is at least 9 CSS px, 12 in Present mode.
    minTextPx: ui.present ? 12 : 9,
  };
}

/** The page-table forest (d3 inside an <svg> React renders once), its zoom controls and its state. */
export function TreePanel({ svgRef }: { svgRef: React.RefObject<SVGSVGElement | null> }) {
  const store = useExplorerStore();
  const loaded = useExplorer((s) => s.loaded);
  const openTables = useExplorer((s) => s.openTables);
  const expanded = useExplorer((s) => s.expanded);
  const selection = useExplorer((s) => s.selection);
  const hoverLevel = useExplorer((s) => s.hoverLevel);
  const loadCount = useExplorer((s) => s.loadCount);
  const cursor = useExplorer((s) => s.cursor);
  // The legend can be folded away (a small embed, a projector that needs the room); open by default.
  const [legendOpen, setLegendOpen] = useState(true);
  const present = useExplorer((s) => s.present);
  const traceFocus = useTraceFocus();
  const { view, pending } = useSim();
  const handle = useRef<TreeHandle | null>(null);

  useEffect(() => {
    const el = svgRef.current;
    if (!el) return;
    const h = createTreeView(el, {
      onSelectNode: (id) => store.getState().select({ kind: 'node', node: id }),
      onSelectEntry: (id, index) => store.getState().select({ kind: 'entry', node: id, index }),
      onToggleExpand: (id) => store.getState().toggleExpanded(id),
      onToggleOpenTable: (id) => store.getState().toggleOpenTable(id),
    });
    handle.current = h;
    return () => {
      h.destroy();
      handle.current = null;
    };
  }, [store, svgRef]);

  // Everything drawn comes from one computed view: its machine, its step, its report.
  const snapshot = view?.result.ok ? view.result.snapshot : null;
  const report = view?.report;
  const step = loaded && view ? stepAt(loaded.scenario, view.n) : undefined;
  const model = useMemo(
    () => (snapshot ? treeModelFor(snapshot, step, report, selection, openTables) : null),
    [snapshot, step, report, selection, openTables],
  );
  const scenario = loaded?.scenario;
  const n = view?.n ?? 0;
  const roles = useMemo(() => rolesOf(scenario, n), [scenario, n]);
  // The event hovered or picked in the trace; else, inside a step (issue 14), the event just done.
  const inside = snapshot ? insideAt(snapshot) : null;
  const event = focusedEvent(traceFocus, report) ?? (inside === null ? null : inside - 1);
  const traceHit = useMemo(() => {
    if (!model || event === null) return undefined;
    const hit = touchedBy(model.changes, event);
    // A copy (set_pgd, set_p4d, huge_pmd_share) touched both entries: the host's it read, the guest's it wrote.
    const fn = report?.events[event]?.fn;
    for (const c of model.copies) {
      if (c.fn !== fn) continue;
      hit.rows.add(`${c.from.node}:${c.from.index}`);
      hit.rows.add(`${c.to.node}:${c.to.index}`);
    }
    return hit;
  }, [model, event, report]);

  useEffect(() => {
    if (!model || !handle.current) return;
    handle.current.update(
      viewModel(model, {
        stepKey: `${view?.scenarioId ?? 0}:${view?.n ?? 0}:${inside ?? ''}`,
        hoverLevel,
        selection,
        loadCount,
        openTables,
        roles,
        present,
        ...(traceHit ? { traceHit } : {}),
      }),
    );
  }, [model, hoverLevel, selection, view, loadCount, openTables, roles, traceHit, present, inside]);

  // The next step's new tables, drawn ahead and hidden while this one is read (treeDraw.ts, prepare()): a step
  // that adds a dozen tables then only shows them. Once this step is drawn, and again when the next step arrives.
  useEffect(() => {
    if (!view || view.event !== undefined) return;
    const scenarioId = view.scenarioId;
    const n = view.n + 1;
    let idle = 0;
    const tryPrepare = (): void => {
      const s = store.getState();
      const ahead = simClient.get(scenarioId, n, s.expanded);
      if (!s.loaded || loadedId(s.loaded) !== scenarioId || s.cursor !== n - 1 || s.event !== null) return;
      if (!ahead?.result.ok || !handle.current) return;
      const snap = ahead.result.snapshot;
      const m = treeModelFor(snap, stepAt(s.loaded.scenario, n), ahead.report, s.selection, s.openTables);
      handle.current.prepare(
        viewModel(m, {
          stepKey: `${scenarioId}:${n}:`,
          hoverLevel: s.hoverLevel,
          selection: s.selection,
          loadCount: s.loadCount,
          openTables: s.openTables,
          roles: rolesOf(s.loaded.scenario, n),
          present: s.present,
        }),
      );
    };
    const later = (): void => {
      if (idle) return;
      idle = whenIdle(() => {
        idle = 0;
        tryPrepare();
      });
    };
    later();
    const off = simClient.onAhead((v) => {
      if (v.scenarioId === scenarioId && v.n === n && v.event === undefined) later();
    });
    return () => {
      off();
      if (idle) cancelIdle(idle);
    };
  }, [view, store]);

  const failure = view && !view.result.ok ? view.result.failure : null;
  const stale = pending && loaded !== null && loadedId(loaded) !== 0;
  const empty = model !== null && model.layout.nodes.length === 0;
  /** Step 0 asked for and shown: nothing has run yet. */
  const atStart = cursor === 0 && view?.n === 0;
  return (
    <section className="panel tree-panel" aria-labelledby="tree-heading">
      <div className="tree-toolbar">
        <h2 id="tree-heading" className="panel-title">
          Page tables
        </h2>
        <div className="toolbar-buttons">
          <button type="button" onClick={() => handle.current?.zoomBy(1.25)} aria-label="Zoom in">
            +
          </button>
          <button type="button" onClick={() => handle.current?.zoomBy(0.8)} aria-label="Zoom out">
            −
          </button>
          <button type="button" onClick={() => handle.current?.fit()}>
            Fit
          </button>
          {expanded.length > 0 && (
            <button type="button" onClick={() => expanded.forEach((id) => store.getState().toggleExpanded(id))}>
              Collapse opened ranges ({expanded.length})
            </button>
          )}
        </div>
        <button
          type="button"
          className="legend-toggle"
          aria-expanded={legendOpen}
          aria-controls="tree-legend"
          onClick={() => setLegendOpen(!legendOpen)}
          aria-label="Legend"
          title={legendOpen ? 'Hide the legend' : 'Show the legend'}
        >
          {/* Open, the legend itself says what it is: the button stays small so the toolbar keeps one line. */}
          {legendOpen ? '▾' : 'Legend ▸'}
        </button>
        <ul className="legend" id="tree-legend" aria-label="Legend" hidden={!legendOpen}>
          <li>
            <span className="swatch swatch-root" aria-hidden="true" /> a task&apos;s PGD
          </li>
          <li>
            <span className="swatch swatch-shared" aria-hidden="true" /> shared page
          </li>
          <li>
            <span className="swatch swatch-walk" aria-hidden="true" /> this step&apos;s walk
          </li>
          <li>
            <span className="swatch swatch-change" aria-hidden="true" /> changed at this step
          </li>
        </ul>
      </div>
      <div className="tree-stage" data-testid="tree-stage" data-pending={stale ? 'true' : 'false'} aria-busy={stale}>
        {stale && (
          <p className="computing" role="status">
            Computing step {cursor}…{view ? ` (showing step ${view.n})` : ''}
          </p>
        )}
        {failure && (
          <div className="sim-failure" role="alert">
            The simulator failed at step {failure.step}: {failure.message}. The steps before it still work.
          </div>
        )}
        <WorkerStalled />
        {/* These two over the tree, not in the toolbar: shown at some steps only, they wrapped the legend onto a
            second line there, and the tree jumped down (refitted: a second layout and paint in that step) and back.
            Bottom right: at a copy the guest's slot is kept at the bottom left (the copy lane, focusAnchor 'end'). */}
        {model && (model.hiddenTrees > 0 || model.copies.length > 0) && (
          <div className="stage-notes">
            {model.copies.length > 0 && (
              <button
                type="button"
                className="replay-copy"
                onClick={() => handle.current?.replayCopy()}
                aria-label={`Replay the copy (${model.copies.map((c) => c.fn).join(', ')})`}
              >
                ↻ Replay copy
              </button>
            )}
            {model.hiddenTrees > 0 && (
              <p className="trees-capped" role="note">
                Showing {formatCount(model.totalTrees - model.hiddenTrees)} of {formatCount(model.totalTrees)} trees
              </p>
            )}
          </div>
        )}
        {/* Step 0 of a lesson shows the lesson's first page over the empty tree; of another text, a line. */}
        {empty && !failure && atStart && (
          <LessonStart
            otherwise={
              <p className="tree-empty muted">
                Nothing has run yet: press → or “Next step” to run the first statement.
              </p>
            }
          />
        )}
        {empty && !failure && !atStart && (
          <p className="tree-empty muted">No mm exists at this step: spawn a task to see its page tables.</p>
        )}
        {/* focusable so keyboard users can pan/zoom it with d3-zoom's wheel and drag equivalents via the buttons */}
        <svg
          ref={svgRef}
          className={`tree-svg ptx-tree${present ? ' present' : ''}`}
          role="group"
          aria-label="Page-table trees"
          data-testid="tree"
        />
      </div>
    </section>
  );
}
