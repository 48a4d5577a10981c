import { useEffect, useRef, useState, type KeyboardEvent as ReactKeyboardEvent } from 'react';
import { AccountingPanel } from './AccountingPanel';
import { AddressBar } from './AddressBar';
import { useExplorer, useExplorerStore } from './context';
import { useSimDriver } from './derived';
import { EditorPanel } from './EditorPanel';
import { ErrorBoundary } from './ErrorBoundary';
import { exportPng, exportSvg } from './exportView';
import { Gallery } from './Gallery';
import { InspectorPanel } from './InspectorPanel';
import { appBase, shareLink } from './links';
import { Notices } from './Notices';
import { SharePanel } from './SharePanel';
import { StepControls } from './StepControls';
import { TracePanel } from './TracePanel';
import { TreePanel } from './TreePanel';
import type { Tab } from '../store/store';

/** Keys that step (← → Home End Space) do nothing while the user types or works a control that uses them. */
export function keyIsForPage(e: KeyboardEvent): boolean {
  if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return false;
  const t = e.target instanceof Element ? e.target : null;
  if (!t) return true;
  if (t.closest('.cm-editor, input, textarea, select, [contenteditable="true"], dialog[open]')) return false;
  if (e.key === ' ' && t.closest('button, a, summary, [role="button"], [role="tab"]')) return false;
  if ((e.key === 'ArrowLeft' || e.key === 'ArrowRight') && t.closest('[role="tab"]')) return false;
  return true;
}

function useStepKeys(): void {
  const store = useExplorerStore();
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!keyIsForPage(e)) return;
      const s = store.getState();
      const action = { ArrowLeft: s.prev, ArrowRight: s.next, Home: s.first, End: s.last, ' ': s.togglePlay }[e.key];
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

const TABS: { id: Tab; label: string }[] = [
  { id: 'trace', label: 'Trace' },
  { id: 'inspector', label: 'Inspector' },
  { id: 'accounting', label: 'Accounting' },
];

function SideTabs() {
  const store = useExplorerStore();
  const tab = useExplorer((s) => s.tab);
  const onKey = (e: ReactKeyboardEvent) => {
    const i = TABS.findIndex((t) => t.id === tab);
    const next = e.key === 'ArrowRight' ? (i + 1) % TABS.length : e.key === 'ArrowLeft' ? (i + TABS.length - 1) % TABS.length : -1;
    if (next < 0) return;
    e.preventDefault();
    const id = (TABS[next] as (typeof TABS)[number]).id;
    store.getState().setTab(id);
    document.getElementById(`tab-${id}`)?.focus();
  };
  return (
    <section className="panel side-panel" aria-label="Details">
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
      <div className="tabpanel" id={`tabpanel-${tab}`} role="tabpanel" aria-labelledby={`tab-${tab}`} tabIndex={0}>
        <ErrorBoundary what={`the ${tab}`} key={tab}>
          {tab === 'trace' && <TracePanel />}
          {tab === 'inspector' && <InspectorPanel />}
          {tab === 'accounting' && <AccountingPanel />}
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
      if (kind === 'svg') exportSvg(svg, name);
      else await exportPng(svg, name);
    } catch (e) {
      store.getState().notify('error', `The ${kind.toUpperCase()} export failed: ${e instanceof Error ? e.message : String(e)}`);
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

function FullApp() {
  const store = useExplorerStore();
  const title = useExplorer((s) => s.loaded?.scenario.title);
  const theme = useExplorer((s) => s.theme);
  const showEditor = useExplorer((s) => s.showEditor);
  const [galleryOpen, setGalleryOpen] = useState(false);
  const [shareOpen, setShareOpen] = useState(false);
  const svgRef = useRef<SVGSVGElement>(null);
  const doExport = useExport(svgRef);
  return (
    <div className="app">
      <header className="app-header">
        <h1>Page Table Explorer</h1>
        {title && (
          <p className="scenario-title" data-testid="scenario-title">
            {title}
          </p>
        )}
        <div className="header-actions" role="toolbar" aria-label="Actions">
          <button type="button" aria-pressed={showEditor} onClick={() => store.getState().setShowEditor(!showEditor)}>
            Editor
          </button>
          <button type="button" onClick={() => setGalleryOpen(true)}>
            Gallery
          </button>
          <button type="button" onClick={() => setShareOpen((o) => !o)} aria-expanded={shareOpen}>
            Copy link
          </button>
          <button type="button" onClick={() => void doExport('svg')}>
            Export SVG
          </button>
          <button type="button" onClick={() => void doExport('png')}>
            Export PNG
          </button>
          <button
            type="button"
            aria-pressed={theme === 'dark'}
            onClick={() => store.getState().setTheme(theme === 'dark' ? 'light' : 'dark')}
          >
            Dark theme
          </button>
        </div>
      </header>
      <main className={`layout${showEditor ? '' : ' no-editor'}`}>
        <Notices />
        {shareOpen && <SharePanel onClose={() => setShareOpen(false)} />}
        <div className="col-center">
          <ErrorBoundary what="the step controls">
            <StepControls />
          </ErrorBoundary>
          <ErrorBoundary what="the address">
            <AddressBar />
          </ErrorBoundary>
          <ErrorBoundary what="the page tables">
            <TreePanel svgRef={svgRef} />
          </ErrorBoundary>
        </div>
        <div className="col-side">
          <SideTabs />
        </div>
        <div className="col-editor" hidden={!showEditor}>
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
  const title = useExplorer((s) => s.loaded?.scenario.title);
  const text = useExplorer((s) => s.text);
  const cursor = useExplorer((s) => s.cursor);
  const svgRef = useRef<SVGSVGElement>(null);
  let href = appBase(window.location);
  try {
    href = shareLink(appBase(window.location), text, cursor);
  } catch {
    /* a text no link can hold: open the app itself */
  }
  return (
    <div className="app embed">
      <main className="embed-layout">
        <header className="embed-header">
          <h1>{title ?? 'Page Table Explorer'}</h1>
          <a className="open-full" href={href} target="_blank" rel="noopener">
            Open in Page Table Explorer
          </a>
        </header>
        <Notices />
        <ErrorBoundary what="the page tables">
          <TreePanel svgRef={svgRef} />
        </ErrorBoundary>
        <ErrorBoundary what="the step controls">
          <StepControls compact />
        </ErrorBoundary>
      </main>
    </div>
  );
}
