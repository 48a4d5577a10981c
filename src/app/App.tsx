import { Suspense, lazy, useEffect, useRef, useState, type KeyboardEvent as ReactKeyboardEvent } from 'react';
import { Abbr } from './Abbr';
import { AddressBar } from './AddressBar';
import { useExplorer, useExplorerStore } from './context';
import { moveByEvent, useSimDriver } from './derived';
import { EditorPanel } from './EditorPanel';
import { ErrorBoundary } from './ErrorBoundary';
import { Gallery } from './Gallery';
import { appBase, shareLink } from './links';
import { NextLesson } from './NextLesson';
import { Notices } from './Notices';
import { SharePanel } from './SharePanel';
import { StepControls } from './StepControls';
import { TracePanel } from './TracePanel';
import { TreePanel } from './TreePanel';
import type { Tab } from '../store/store';

/**
 * The Inspector and Accounting tabs load when first opened (the Trace tab is shown first): not part of the first load.
 */
const InspectorPanel = lazy(() => import('./InspectorPanel').then((m) => ({ default: m.InspectorPanel })));
const AccountingPanel = lazy(() => import('./AccountingPanel').then((m) => ({ default: m.AccountingPanel })));
const TlbPanel = lazy(() => import('./TlbPanel').then((m) => ({ default: m.TlbPanel })));
/** Predict mode's card and score load when Predict is first turned on (main.tsx prefetches them once idle). */
const PredictPanel = lazy(() => import('./PredictPanel').then((m) => ({ default: m.PredictPanel })));
const PredictScore = lazy(() => import('./PredictPanel').then((m) => ({ default: m.PredictScore })));

/** Keys that step (← → Home End Space) do nothing while the user types or works a control that uses them. */
export function keyIsForPage(e: KeyboardEvent): boolean {
  if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return false;
  const t = e.target instanceof Element ? e.target : null;
  if (!t) return true;
  if (t.closest('.cm-editor, input, textarea, select, [contenteditable="true"], dialog[open]')) return false;
  if (e.key === ' ' && t.closest('button, a, summary, [role="button"], [role="tab"]')) return false;
  // A focused scrolling list (the step's changes) scrolls with Home, End and Space itself.
  if ((e.key === ' ' || e.key === 'Home' || e.key === 'End') && t.closest('[data-scroll-keys]')) return false;
  if ((e.key === 'ArrowLeft' || e.key === 'ArrowRight') && t.closest('[role="tab"]')) return false;
  return true;
}

/** Escape works from anywhere but text being typed and a modal dialog (which Escape closes itself). */
export function escapeIsForPage(e: KeyboardEvent): boolean {
  if (e.key !== 'Escape' || e.defaultPrevented) return false;
  const t = e.target instanceof Element ? e.target : null;
  return !t?.closest('.cm-editor, textarea, [contenteditable="true"], dialog[open]');
}

/** The keys, for the "Keys" help (README.md lists them too). */
export const KEYS_HELP: [string, string][] = [
  ['← →', 'previous / next step'],
  ['Shift+← Shift+→', 'previous / next event inside a step'],
  ['Home End', 'first / last step'],
  ['Space', 'play / pause'],
  ['P', 'Present mode on / off'],
  ['Esc', 'fold the caption or close a panel, then leave Present mode'],
  ['Alt+Enter', "in the editor: show the step of the cursor's line"],
  ['1–9 Enter', 'Predict mode: answer the question, then go on'],
];

function useStepKeys(): void {
  const store = useExplorerStore();
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      // P also from the slider: a range input types nothing.
      const pOnSlider =
        (e.key === 'p' || e.key === 'P') &&
        !e.ctrlKey &&
        !e.metaKey &&
        !e.altKey &&
        e.target instanceof HTMLInputElement &&
        e.target.type === 'range';
      if (!keyIsForPage(e) && !pOnSlider) return;
      const s = store.getState();
      const toggle = () => s.setPresent(!store.getState().present);
      // Shift+← / Shift+→: by event inside a step (issue 14); the plain arrows keep moving by statement.
      if (e.shiftKey && (e.key === 'ArrowLeft' || e.key === 'ArrowRight')) {
        e.preventDefault();
        moveByEvent(store, e.key === 'ArrowRight' ? 1 : -1);
        return;
      }
      const action = {
        ArrowLeft: s.prev,
        ArrowRight: s.next,
        Home: s.first,
        End: s.last,
        ' ': s.togglePlay,
        p: toggle,
        P: toggle,
      }[e.key];
      if (!action) return;
      e.preventDefault();
      action();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [store]);
}

function useThemeOnDocument(): void {
  const theme = useExplorer((s) => s.theme);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    document.documentElement.style.colorScheme = theme;
  }, [theme]);
}

const ALL_TABS: { id: Tab; label: string }[] = [
  { id: 'trace', label: 'Trace' },
  { id: 'inspector', label: 'Inspector' },
  { id: 'accounting', label: 'Accounting' },
  // Only for scenarios that declare CPUs (issue 17).
  { id: 'tlb', label: 'TLB' },
];
const NO_TLB_TABS = ALL_TABS.filter((t) => t.id !== 'tlb');

/** The tabs of the side panel: the TLB tab only when the scenario declares CPUs. */
function useTabs(): typeof ALL_TABS {
  const hasCpus = useExplorer((s) => s.loaded?.scenario.cpus !== undefined);
  return hasCpus ? ALL_TABS : NO_TLB_TABS;
}

function SideTabs({ onClose }: { onClose?: () => void }) {
  const store = useExplorerStore();
  const TABS = useTabs();
  // A TLB tab left open when a scenario without CPUs loads shows the trace.
  const tab = useExplorer((s) => (s.tab === 'tlb' && !TABS.some((t) => t.id === 'tlb') ? 'trace' : s.tab));
  const onKey = (e: ReactKeyboardEvent) => {
    const i = TABS.findIndex((t) => t.id === tab);
    const next =
      e.key === 'ArrowRight' ? (i + 1) % TABS.length : e.key === 'ArrowLeft' ? (i + TABS.length - 1) % TABS.length : -1;
    if (next < 0) return;
    e.preventDefault();
    const id = (TABS[next] as (typeof TABS)[number]).id;
    store.getState().setTab(id);
    document.getElementById(`tab-${id}`)?.focus();
  };
  return (
    <section className="panel side-panel" aria-label="Details">
      <div className="tabs-row">
        <div className="tabs" role="tablist" aria-label="Details" onKeyDown={onKey}>
          {TABS.map((t) => (
            <button
              key={t.id}
              id={`tab-${t.id}`}
              type="button"
              role="tab"
              aria-selected={tab === t.id}
              aria-controls={`tabpanel-${t.id}`}
              tabIndex={tab === t.id ? 0 : -1}
              onClick={() => store.getState().setTab(t.id)}
            >
              {t.label}
            </button>
          ))}
        </div>
        {onClose && (
          <button
            type="button"
            className="close-overlay"
            aria-label="Close the panel"
            title="Close (Esc)"
            onClick={onClose}
            data-testid="close-overlay"
          >
            ✕
          </button>
        )}
      </div>
      <div className="tabpanel" id={`tabpanel-${tab}`} role="tabpanel" aria-labelledby={`tab-${tab}`} tabIndex={0}>
        <ErrorBoundary what={`the ${tab}`} key={tab}>
          {tab === 'trace' && <TracePanel />}
          <Suspense fallback={<p className="muted">Loading…</p>}>
            {tab === 'inspector' && <InspectorPanel />}
            {tab === 'accounting' && <AccountingPanel />}
            {tab === 'tlb' && <TlbPanel />}
          </Suspense>
        </ErrorBoundary>
      </div>
    </section>
  );
}

function useExport(svgRef: React.RefObject<SVGSVGElement | null>) {
  const store = useExplorerStore();
  return async (kind: 'svg' | 'png') => {
    const svg = svgRef.current;
    if (!svg) return;
    const name = `page-tables-step-${store.getState().cursor}.${kind}`;
    try {
      // Loaded at the first export: not part of the first load.
      const { exportPng, exportSvg } = await import('./exportView');
      if (kind === 'svg') exportSvg(svg, name);
      else await exportPng(svg, name);
    } catch (e) {
      store
        .getState()
        .notify('error', `The ${kind.toUpperCase()} export failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
}

export function App() {
  const embed = useExplorer((s) => s.embed);
  useStepKeys();
  useThemeOnDocument();
  useSimDriver();
  return embed ? <EmbedApp /> : <FullApp />;
}

/** The keys, one click away (a disclosure: no dialog to trap focus). */
function KeysHelp() {
  return (
    <details className="keys-help">
      <summary>Keys</summary>
      <dl data-testid="keys-help">
        {KEYS_HELP.map(([k, what]) => (
          <div key={k}>
            <dt>
              <kbd>{k}</kbd>
            </dt>
            <dd>{what}</dd>
          </div>
        ))}
      </dl>
    </details>
  );
}

/**
 * While the text has errors the view shows the last version that loaded: it
 * says so over the tree (not above it: the tree must not move) and dims it.
 */
function StaleBanner({ onShow }: { onShow: () => void }) {
  const errors = useExplorer((s) => s.errors.length);
  const loaded = useExplorer((s) => s.loaded !== null);
  if (errors === 0 || !loaded) return null;
  return (
    <div className="stale-banner" role="status" data-testid="stale-banner">
      <span>
        The text has {errors} problem{errors === 1 ? '' : 's'}: this view shows the last version that loaded.
      </span>
      <button type="button" onClick={onShow}>
        Show the errors
      </button>
    </div>
  );
}

type Overlay = Tab | null;

function FullApp() {
  const store = useExplorerStore();
  const title = useExplorer((s) => s.loaded?.scenario.title);
  const theme = useExplorer((s) => s.theme);
  const showEditor = useExplorer((s) => s.showEditor);
  const present = useExplorer((s) => s.present);
  const predict = useExplorer((s) => s.predict);
  const tab = useExplorer((s) => s.tab);
  const TABS = useTabs();
  const stale = useExplorer((s) => s.errors.length > 0 && s.loaded !== null);
  const [galleryOpen, setGalleryOpen] = useState(false);
  const [shareOpen, setShareOpen] = useState(false);
  // Present mode: the side panels are overlays, opened one at a time over the tree.
  const [overlay, setOverlay] = useState<Overlay>(null);
  const svgRef = useRef<SVGSVGElement>(null);
  const doExport = useExport(svgRef);
  const overlayOpen = present && overlay !== null;

  const openOverlay = (t: Tab) => {
    if (overlay !== null && tab === t) return setOverlay(null);
    store.getState().setTab(t);
    setOverlay(t);
    requestAnimationFrame(() => document.getElementById(`tab-${t}`)?.focus());
  };
  const closeOverlay = () => {
    const t = overlay;
    setOverlay(null);
    if (t) requestAnimationFrame(() => document.getElementById(`open-${t}`)?.focus());
  };

  // Escape: first the overlay, then Present mode itself.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!escapeIsForPage(e)) return;
      const s = store.getState();
      if (!s.present) return;
      e.preventDefault();
      if (overlay !== null) closeOverlay();
      else s.setPresent(false);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  // Leaving Present mode (button, P or Esc) closes the overlay: it is not there when coming back.
  useEffect(
    () =>
      store.subscribe((s, prev) => {
        if (prev.present && !s.present) setOverlay(null);
      }),
    [store],
  );

  const showErrors = () => {
    const s = store.getState();
    s.setPresent(false);
    s.setShowEditor(true);
    requestAnimationFrame(() => document.querySelector<HTMLElement>('[data-testid="errors"] button')?.focus());
  };

  const layout = present ? 'layout present' : `layout${showEditor ? '' : ' no-editor'}`;
  return (
    <div className={`app${present ? ' present' : ''}`} data-present={present ? 'true' : 'false'}>
      <header className="app-header">
        <h1>Page Table Explorer</h1>
        {title && (
          <p className="scenario-title" data-testid="scenario-title">
            <Abbr text={title} />
          </p>
        )}
        <div className="header-actions" role="toolbar" aria-label="Actions">
          {present &&
            TABS.map((t) => (
              <button
                key={t.id}
                id={`open-${t.id}`}
                type="button"
                className="overlay-toggle"
                aria-expanded={overlay !== null && tab === t.id}
                aria-controls="side-overlay"
                onClick={() => openOverlay(t.id)}
              >
                {t.label}
              </button>
            ))}
          {!present && (
            <button type="button" aria-pressed={showEditor} onClick={() => store.getState().setShowEditor(!showEditor)}>
              Editor
            </button>
          )}
          <button
            type="button"
            aria-pressed={present}
            title="Present mode (P)"
            onClick={() => store.getState().setPresent(!present)}
          >
            Present
          </button>
          <button
            type="button"
            aria-pressed={predict}
            title="Predict, then reveal: answer a question before each step that changes something"
            onClick={() => store.getState().setPredict(!predict)}
            data-testid="predict-toggle"
          >
            Predict
            {predict && (
              <Suspense fallback={null}>
                {' '}
                <PredictScore />
              </Suspense>
            )}
          </button>
          <button type="button" onClick={() => setGalleryOpen(true)}>
            Gallery
          </button>
          <button type="button" onClick={() => setShareOpen((o) => !o)} aria-expanded={shareOpen}>
            Copy link
          </button>
          {/* Short labels (their names say it in full): at 1280 px the scenario's title, cut to "mshare v1: the gue…"
              beside nine long buttons, gets their room. */}
          {!present && (
            <span className="export-group" role="group" aria-label="Export the view">
              <span className="export-label" aria-hidden="true">
                Export
              </span>
              {(['svg', 'png'] as const).map((f) => (
                <button
                  key={f}
                  type="button"
                  aria-label={`Export ${f.toUpperCase()}`}
                  title={`Export the view as ${f.toUpperCase()}`}
                  onClick={() => void doExport(f)}
                >
                  {f.toUpperCase()}
                </button>
              ))}
            </span>
          )}
          <button
            type="button"
            aria-label="Dark theme"
            title="Dark theme"
            aria-pressed={theme === 'dark'}
            onClick={() => store.getState().setTheme(theme === 'dark' ? 'light' : 'dark')}
          >
            Dark
          </button>
          <KeysHelp />
        </div>
      </header>
      <main className={layout}>
        <Notices />
        {shareOpen && <SharePanel onClose={() => setShareOpen(false)} />}
        <div className="col-center">
          <ErrorBoundary what="the step controls">
            <StepControls />
          </ErrorBoundary>
          <ErrorBoundary what="the address">
            <AddressBar />
          </ErrorBoundary>
          <div className="tree-wrap" data-stale={stale ? 'true' : 'false'} data-testid="tree-wrap">
            <StaleBanner onShow={showErrors} />
            <NextLesson onGallery={() => setGalleryOpen(true)} />
            {predict && (
              <ErrorBoundary what="the question">
                <Suspense fallback={null}>
                  <PredictPanel />
                </Suspense>
              </ErrorBoundary>
            )}
            <ErrorBoundary what="the page tables">
              <TreePanel svgRef={svgRef} />
            </ErrorBoundary>
            {present && (
              // Over the tree only: the step controls, the caption and the address stay in sight.
              <div className="side-overlay" id="side-overlay" hidden={!overlayOpen} data-testid="side-overlay">
                <SideTabs onClose={closeOverlay} />
              </div>
            )}
          </div>
        </div>
        {!present && (
          <div className="col-side">
            <SideTabs />
          </div>
        )}
        <div className="col-editor" hidden={!showEditor || present}>
          <ErrorBoundary what="the editor">
            <EditorPanel />
          </ErrorBoundary>
        </div>
      </main>
      <Gallery open={galleryOpen} onClose={() => setGalleryOpen(false)} />
    </div>
  );
}

function EmbedApp() {
  const predict = useExplorer((s) => s.predict);
  const title = useExplorer((s) => s.loaded?.scenario.title);
  const text = useExplorer((s) => s.text);
  const cursor = useExplorer((s) => s.cursor);
  const present = useExplorer((s) => s.present);
  const store = useExplorerStore();
  const svgRef = useRef<SVGSVGElement>(null);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!escapeIsForPage(e) || !store.getState().present) return;
      e.preventDefault();
      store.getState().setPresent(false);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [store]);
  let href = appBase(window.location);
  try {
    href = shareLink(appBase(window.location), text, cursor, { present });
  } catch {
    /* a text no link can hold: open the app itself */
  }
  return (
    <div className={`app embed${present ? ' present' : ''}`} data-present={present ? 'true' : 'false'}>
      <main className="embed-layout">
        <header className="embed-header">
          <h1>
            <Abbr text={title ?? 'Page Table Explorer'} />
          </h1>
          <a className="open-full" href={href} target="_blank" rel="noopener">
            Open in Page Table Explorer
          </a>
        </header>
        <Notices />
        <div className="tree-wrap">
          <ErrorBoundary what="the page tables">
            <TreePanel svgRef={svgRef} />
          </ErrorBoundary>
          {/* A quiz link may be embedded too (predict=1): the held step needs its questions. */}
          {predict && (
            <ErrorBoundary what="the question">
              <Suspense fallback={null}>
                <PredictPanel />
              </Suspense>
            </ErrorBoundary>
          )}
        </div>
        <ErrorBoundary what="the step controls">
          <StepControls compact />
        </ErrorBoundary>
      </main>
    </div>
  );
}
