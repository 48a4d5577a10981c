/**
 * The explorer's one zustand store, built from slices (zustand's "slices
 * pattern"): the scenario (text, parsed scenario, errors), the cursor, and
 * the UI state. The simulation state at the cursor is NOT here: it follows
 * from (scenario, cursor, expanded summaries) and is derived by ./sim.ts,
 * so stepping back is exact.
 */
import { createStore, type StateCreator, type StoreApi } from 'zustand/vanilla';
import type { Scenario, ScenarioError } from '../scenario/ast';
import { MAX_GROUP, parseScenario } from '../scenario/parser';
import { KEYS, memoryKV, readBackups, withBackup, type KV } from './persist';
import { createPredictSlice, holdForPrediction, type PredictSlice } from './predict';

/** The last text that loaded, with what it parsed to. The view always shows this one. */
export interface Loaded {
  text: string;
  scenario: Scenario;
}

export type Selection = { kind: 'node'; node: string } | { kind: 'entry'; node: string; index: number } | null;

export interface Notice {
  id: number;
  kind: 'error' | 'warning' | 'info';
  message: string;
  /** An action the notice offers. */
  action?: 'restore';
}

export type Theme = 'light' | 'dark';
export type Tab = 'trace' | 'inspector' | 'accounting' | 'tlb';
export type LoadSource = 'link' | 'gallery' | 'restore' | 'boot';

export interface ScenarioSlice {
  /** What the editor holds (autosaved). */
  text: string;
  /** The last good scenario: stays when the text stops parsing. */
  loaded: Loaded | null;
  /** Errors of `text` (empty when it parses). */
  errors: ScenarioError[];
  /**
   * Whether `text` is the user's own (typed or restored) rather than what a
   * link or the gallery put there, unedited. Only the user's own text
   * becomes a backup: opening a link, reloading and opening another must
   * not push the user's text out for the first link's (issue 13).
   */
  textIsOwn: boolean;
  /** The user's own texts that loads replaced, newest first (at most MAX_BACKUPS, persisted). */
  backups: string[];
  /** The newest backup (backups[0]), offered back by Restore; null when there is none. */
  previousText: string | null;
  /** Counts loadScenario calls: the view fits itself to a newly loaded scenario, not to every edit. */
  loadCount: number;
  /** The editor changed: save at once, parse (now, or shortly for a big text). */
  setText(text: string): void;
  /** Parse `text` now (the debounced parse calls this). */
  parseNow(): void;
  /**
   * Replace the text with a scenario from the gallery, a link or a backup.
   * The old text becomes a backup when it was the user's own (not empty, not
   * the built-in default, not an unedited link or gallery text). Returns
   * whether a backup is there to restore.
   */
  loadScenario(text: string, opts: { source: LoadSource; step?: number; event?: number }): boolean;
  /** Bring back backups[index] (default the newest); the current text, if the user's own, becomes a backup in turn. */
  restorePrevious(index?: number): void;
}

export interface CursorSlice {
  /** Steps done: 0 = before the first step, M = all done. */
  cursor: number;
  /**
   * Inside the cursor's step (issue 14): how many of its events are done,
   * 1-based as the caption and links count them ("event 2 of 4"); null = the
   * whole step. The only place the position inside a step is kept: what is
   * shown is eventShown(event, the step's event count) (./derive.ts), which
   * also reads a number at or past the step's last event as the whole step.
   * Every move by statement sets it back to null.
   */
  event: number | null;
  playing: boolean;
  /**
   * Go to (step, events done): Shift+→/← and the event buttons (positions from derive.ts
   * nextEventPosition/prevEventPosition).
   */
  goToEvent(n: number, event: number | null): void;
  goTo(n: number): void;
  first(): void;
  prev(): void;
  next(): void;
  last(): void;
  setPlaying(on: boolean): void;
  togglePlay(): void;
}

export interface UiSlice {
  selection: Selection;
  /** Summary node ids opened on demand (inspect()'s `expand`). */
  expanded: string[];
  /** Table node ids listing all their entries instead of the first few. */
  openTables: string[];
  /** A level the address bar is hovering ('pgd', …), highlighted in the tree. */
  hoverLevel: string | null;
  theme: Theme;
  tab: Tab;
  notices: Notice[];
  /** Embed mode: only the view and the step controls; nothing is saved. */
  embed: boolean;
  /** The editor column is shown (hidden: more room for the tree on a projector). */
  showEditor: boolean;
  setShowEditor(on: boolean): void;
  /**
   * Present mode, for a projector: no editor, side panels as overlays, larger
   * text and controls (button "Present", key P, `present=1` in a link).
   */
  present: boolean;
  setPresent(on: boolean): void;
  select(s: Selection): void;
  toggleExpanded(id: string): void;
  toggleOpenTable(id: string): void;
  setHoverLevel(level: string | null): void;
  setTheme(t: Theme): void;
  setTab(t: Tab): void;
  notify(kind: Notice['kind'], message: string, action?: Notice['action']): number;
  dismiss(id: number): void;
}

export type ExplorerState = ScenarioSlice & CursorSlice & UiSlice & PredictSlice;
type Slice<T> = StateCreator<ExplorerState, [], [], T>;

export interface StoreDeps {
  kv?: KV;
  embed?: boolean;
  /** Text to start with when nothing was saved. */
  defaultText?: string;
  theme?: Theme;
  showEditor?: boolean;
  present?: boolean;
  /** Start in Predict mode (`predict=1` in a link; ./predict.ts). */
  predict?: boolean;
  /** A text longer than this is parsed after a pause in typing, not on every key. */
  debounceAbove?: number;
  /**
   * So is a text whose groups name more tasks than this: a short text can
   * still cost seconds to parse (10 lines of `T[1..100000]: …` expand to a
   * million names, issue 13).
   */
  debounceNamesAbove?: number;
  debounceMs?: number;
}

const GROUP = /[A-Za-z_][A-Za-z0-9_-]*\[([0-9]{1,20})\.\.([0-9]{1,20})\]/g;

/**
 * About how many task names the groups `NAME[a..b]` of a text expand to
 * (each at most MAX_GROUP; groups in comments counted too): what parsing
 * costs beyond reading the text, found in a scan far cheaper than a parse.
 */
export function groupNames(text: string): number {
  let n = 0;
  for (const m of text.matchAll(GROUP)) {
    const from = Number(m[1]);
    const to = Number(m[2]);
    if (to >= from) n += Math.min(to - from + 1, MAX_GROUP);
  }
  return n;
}

export function stepCount(s: Pick<ExplorerState, 'loaded'>): number {
  return s.loaded ? s.loaded.scenario.steps.length : 0;
}

const clamp = (n: number, max: number): number => Math.max(0, Math.min(max, Math.trunc(Number.isFinite(n) ? n : 0)));

function createScenarioSlice(kv: KV, deps: StoreDeps): Slice<ScenarioSlice> {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let saveWarned = false;
  const save = (get: () => ExplorerState, key: string, value: string): void => {
    if (get().embed) return;
    if (!kv.set(key, value) && !saveWarned) {
      saveWarned = true;
      get().notify(
        'warning',
        'Your text cannot be saved in this browser (storage is full or disabled): it is kept only until this tab closes.',
      );
    }
  };
  /**
   * Saves the backups, the oldest dropped from storage while they do not fit
   * (three texts of up to 1 MiB each can pass the quota; the newest matters
   * most). All stay in the session.
   */
  const saveBackups = (get: () => ExplorerState, list: string[]): void => {
    if (get().embed) return;
    for (let n = list.length; n > 1; n--) if (kv.set(KEYS.backups, JSON.stringify(list.slice(0, n)))) return;
    save(get, KEYS.backups, JSON.stringify(list.slice(0, 1)));
  };
  return (set, get) => ({
    text: '',
    loaded: null,
    errors: [],
    textIsOwn: false,
    backups: deps.embed ? [] : readBackups(kv),
    previousText: deps.embed ? null : (readBackups(kv)[0] ?? null),
    loadCount: 0,
    setText(text) {
      if (text === get().text) return;
      set({ text });
      save(get, KEYS.text, text);
      if (!get().textIsOwn) {
        set({ textIsOwn: true });
        save(get, KEYS.textOwn, '1');
      }
      if (timer !== null) clearTimeout(timer);
      timer = null;
      const long = text.length > (deps.debounceAbove ?? 50_000);
      const names = long ? 0 : groupNames(text);
      if (long || names > (deps.debounceNamesAbove ?? 20_000)) {
        // The costlier the parse, the longer the pause it waits for (up to 1.5 s for a million names),
        // so that a hesitation while typing does not freeze the editor.
        const delay = Math.max(deps.debounceMs ?? 300, Math.min(1500, names / 1000));
        timer = setTimeout(() => {
          timer = null;
          get().parseNow();
        }, delay);
      } else get().parseNow();
    },
    parseNow() {
      const { text, loaded } = get();
      if (loaded && loaded.text === text) {
        set({ errors: [] });
        return;
      }
      const r = parseScenario(text);
      if (!r.ok) {
        set({ errors: r.errors });
        return;
      }
      const max = r.scenario.steps.length;
      set({ loaded: { text, scenario: r.scenario }, errors: [], cursor: clamp(get().cursor, max), event: null });
    },
    loadScenario(text, opts) {
      const { text: old, textIsOwn } = get();
      const stash =
        opts.source !== 'boot' && textIsOwn && old !== text && old.trim() !== '' && old !== deps.defaultText;
      if (stash) {
        const backups = withBackup(get().backups, old);
        set({ backups, previousText: backups[0] ?? null });
        saveBackups(get, backups);
      }
      if (timer !== null) clearTimeout(timer);
      timer = null;
      // A restored text is the user's own again; a link's or the gallery's is not, until edited.
      const own = opts.source === 'restore';
      set({
        text,
        textIsOwn: own,
        playing: false,
        selection: null,
        expanded: [],
        openTables: [],
        loadCount: get().loadCount + 1,
      });
      save(get, KEYS.text, text);
      save(get, KEYS.textOwn, own ? '1' : '0');
      const offered = get().backups.length > 0;
      const r = parseScenario(text);
      if (!r.ok) {
        set({ errors: r.errors });
        return offered;
      }
      const max = r.scenario.steps.length;
      const want = opts.step ?? 0;
      // A link's event is kept only with the step it was made at (a link past the end opens the last step whole).
      const event =
        opts.event !== undefined && opts.event >= 1 && want <= max && want > 0 ? Math.trunc(opts.event) : null;
      set({ loaded: { text, scenario: r.scenario }, errors: [], cursor: clamp(want, max), event });
      if (want > max)
        get().notify(
          'warning',
          `The link asks for step ${want}, but this scenario has ${max} step${max === 1 ? '' : 's'}: showing the last one.`,
        );
      return offered;
    },
    restorePrevious(index = 0) {
      const prev = get().backups[index];
      if (prev === undefined) return;
      // Out of the list first: loadScenario then puts the current text, if the user's own, in front.
      const rest = get().backups.filter((_, i) => i !== index);
      set({ backups: rest, previousText: rest[0] ?? null });
      saveBackups(get, rest);
      get().loadScenario(prev, { source: 'restore' });
    },
  });
}

const createCursorSlice: Slice<CursorSlice> = (set, get) => ({
  cursor: 0,
  event: null,
  playing: false,
  goTo(n) {
    set({ cursor: clamp(n, stepCount(get())), event: null });
  },
  goToEvent(n, event) {
    const cursor = clamp(n, stepCount(get()));
    set({ cursor, event: cursor > 0 && event !== null && event >= 1 ? Math.trunc(event) : null, playing: false });
  },
  first() {
    set({ cursor: 0, event: null, playing: false });
  },
  prev() {
    // From inside a step, ← goes to the statement before it, as from the step's end.
    set({ cursor: clamp(get().cursor - 1, stepCount(get())), event: null, playing: false });
  },
  next() {
    if (holdForPrediction(get, set)) return; // Predict mode asks first (./predict.ts)
    const max = stepCount(get());
    const cursor = clamp(get().cursor + 1, max);
    set({ cursor, event: null, playing: get().playing && cursor < max });
  },
  last() {
    set({ cursor: stepCount(get()), event: null, playing: false });
  },
  setPlaying(on) {
    const max = stepCount(get());
    if (!on) return set({ playing: false });
    // Play from the start when at the end, as media players do.
    set({ playing: max > 0, cursor: get().cursor >= max ? 0 : get().cursor });
  },
  togglePlay() {
    get().setPlaying(!get().playing);
  },
});

function createUiSlice(kv: KV, deps: StoreDeps): Slice<UiSlice> {
  let nextId = 1;
  const toggle = (list: string[], id: string): string[] =>
    list.includes(id) ? list.filter((x) => x !== id) : [...list, id];
  return (set, get) => ({
    selection: null,
    expanded: [],
    openTables: [],
    hoverLevel: null,
    theme: deps.theme ?? (kv.get(KEYS.theme) === 'dark' ? 'dark' : 'light'),
    tab: 'trace',
    notices: [],
    embed: deps.embed ?? false,
    showEditor: deps.showEditor ?? true,
    present: deps.present ?? false,
    setPresent(present) {
      set({ present });
    },
    setShowEditor(showEditor) {
      set({ showEditor });
    },
    select(selection) {
      set(selection ? { selection, tab: 'inspector' } : { selection });
    },
    toggleExpanded(id) {
      set({ expanded: toggle(get().expanded, id).sort() });
    },
    toggleOpenTable(id) {
      set({ openTables: toggle(get().openTables, id) });
    },
    setHoverLevel(hoverLevel) {
      set({ hoverLevel });
    },
    setTheme(theme) {
      set({ theme });
      if (!get().embed) kv.set(KEYS.theme, theme);
    },
    setTab(tab) {
      set({ tab });
    },
    notify(kind, message, action) {
      const id = nextId++;
      // One notice per message: the same problem twice is said once. One offer to restore, the latest.
      const others = get().notices.filter(
        (n) => n.message !== message && !(action === 'restore' && n.action === 'restore'),
      );
      set({ notices: [...others, action ? { id, kind, message, action } : { id, kind, message }] });
      return id;
    },
    dismiss(id) {
      set({ notices: get().notices.filter((n) => n.id !== id) });
    },
  });
}

/**
 * A new store. The initial text is the saved one, else `defaultText`; it is
 * parsed at once so the first render has a scenario.
 */
export function createExplorerStore(deps: StoreDeps = {}): StoreApi<ExplorerState> {
  const kv = deps.kv ?? memoryKV();
  const store = createStore<ExplorerState>()((...a) => ({
    ...createScenarioSlice(kv, deps)(...a),
    ...createCursorSlice(...a),
    ...createUiSlice(kv, deps)(...a),
    ...createPredictSlice<ExplorerState>(kv, deps)(...a),
  }));
  const saved = deps.embed ? null : kv.get(KEYS.text);
  const initial = saved ?? deps.defaultText ?? '';
  // A saved text is the user's own unless marked as a link's or the gallery's (older versions did not mark).
  store.setState({
    text: initial,
    textIsOwn: saved !== null && saved !== deps.defaultText && kv.get(KEYS.textOwn) !== '0',
  });
  store.getState().parseNow();
  // Offered at every start while a backup exists: a reload (or a crash) must not hide it.
  const { backups } = store.getState();
  if (!deps.embed && backups.length > 0 && backups[0] !== initial) {
    store
      .getState()
      .notify(
        'info',
        `Your own earlier text is kept${backups.length > 1 ? ` (with ${backups.length - 1} older one${backups.length > 2 ? 's' : ''})` : ''}: you can bring it back.`,
        'restore',
      );
  }
  return store;
}
