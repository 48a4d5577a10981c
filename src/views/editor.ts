/**
 * The scenario editor: CodeMirror 6 with the language's highlighting and
 * inline diagnostics (the parser's LINE:COLUMN errors underlined at their
 * column, the message shown at the end of the line). A factory in the
 * style of the d3 behaviours: createEditor() → { update…, destroy }.
 *
 * It also follows the step (issue 12): the current step's statement line is
 * marked (a line decoration with aria-current="step") and scrolled into view,
 * a gutter marks every statement line, and a click on a statement line or its
 * marker (or Alt+Enter on it) asks to move to that step.
 */
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { EditorSelection, EditorState, StateEffect, StateField, type Extension, type Range } from '@codemirror/state';
import {
  Decoration,
  EditorView,
  GutterMarker,
  WidgetType,
  drawSelection,
  gutter,
  highlightActiveLine,
  highlightActiveLineGutter,
  keymap,
  lineNumbers,
  type DecorationSet,
} from '@codemirror/view';
import { ptxHighlight, ptxLanguage } from './ptxLanguage';

export interface Diagnostic {
  line: number;
  col: number;
  message: string;
}

class MessageWidget extends WidgetType {
  constructor(readonly text: string) {
    super();
  }
  override eq(other: MessageWidget): boolean {
    return other.text === this.text;
  }
  toDOM(): HTMLElement {
    const span = document.createElement('span');
    span.className = 'cm-ptx-errorMessage';
    span.textContent = this.text;
    return span;
  }
}

const setDiagnosticsEffect = StateEffect.define<Diagnostic[]>();

/** Decorations for the errors: a mark on the token at LINE:COL, the line tinted, the message after it. */
export function diagnosticDecorations(state: EditorState, diags: Diagnostic[]): DecorationSet {
  const ranges: Range<Decoration>[] = [];
  const seenLines = new Set<number>();
  for (const d of diags) {
    if (d.line < 1 || d.line > state.doc.lines) continue;
    const line = state.doc.line(d.line);
    const from = Math.min(line.from + Math.max(0, d.col - 1), line.to);
    // Underline the word that starts at the column (or one character).
    const rest = state.doc.sliceString(from, line.to);
    const m = /^("(?:[^"\\]|\\.)*"?|[^\s]+)/.exec(rest);
    const to = Math.min(line.to, from + Math.max(1, m ? m[0].length : 1));
    if (!seenLines.has(d.line)) {
      seenLines.add(d.line);
      ranges.push(Decoration.line({ class: 'cm-ptx-errorLine' }).range(line.from));
    }
    if (to > from)
      ranges.push(Decoration.mark({ class: 'cm-ptx-error', attributes: { title: d.message } }).range(from, to));
    ranges.push(
      Decoration.widget({ widget: new MessageWidget(`${d.line}:${d.col}: ${d.message}`), side: 1 }).range(line.to),
    );
  }
  return Decoration.set(ranges, true);
}

const diagnosticsField = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(deco, tr) {
    for (const e of tr.effects) if (e.is(setDiagnosticsEffect)) return diagnosticDecorations(tr.state, e.value);
    return deco.map(tr.changes);
  },
  provide: (f) => EditorView.decorations.from(f),
});

/** The statement lines of the loaded text and the current step's (1-based lines; empty/null: none). */
export interface StepLines {
  lines: readonly number[];
  current: number | null;
  /**
   * Predict mode: the text from this line on is veiled (blurred): the notes ahead of the step hold the answers to
   * its questions. Null or absent: nothing is.
   */
  veilFrom?: number | null;
}

const setStepLinesEffect = StateEffect.define<StepLines>();

const NO_STEPS: StepLines = { lines: [], current: null };

const stepLinesField = StateField.define<StepLines>({
  create: () => NO_STEPS,
  update(value, tr) {
    for (const e of tr.effects) if (e.is(setStepLinesEffect)) return e.value;
    // An edit makes the lines stale until the text loads again (the panel then sends new ones).
    return tr.docChanged ? NO_STEPS : value;
  },
});

const currentLineDeco = Decoration.line({ class: 'cm-ptx-current', attributes: { 'aria-current': 'step' } });

/** The current step's line, marked for the eye (a tint and a bar) and for assistive technology (aria-current). */
const currentStepDecorations = EditorView.decorations.compute([stepLinesField], (state) => {
  const { current } = state.field(stepLinesField);
  if (current === null || current < 1 || current > state.doc.lines) return Decoration.none;
  return Decoration.set([currentLineDeco.range(state.doc.line(current).from)]);
});

const veilDeco = Decoration.mark({ class: 'cm-ptx-ahead' });

/** Predict mode's veil over the text ahead of the step (a mark to the end: CodeMirror splits it per line). */
const veilDecorations = EditorView.decorations.compute([stepLinesField], (state) => {
  const { veilFrom } = state.field(stepLinesField);
  if (veilFrom === null || veilFrom === undefined || veilFrom < 1 || veilFrom > state.doc.lines) return Decoration.none;
  const from = state.doc.line(veilFrom).from;
  return from < state.doc.length ? Decoration.set([veilDeco.range(from, state.doc.length)]) : Decoration.none;
});

class StepMarker extends GutterMarker {
  constructor(readonly current: boolean) {
    super();
  }
  override eq(other: StepMarker): boolean {
    return other.current === this.current;
  }
  override toDOM(): Node {
    const span = document.createElement('span');
    span.className = this.current ? 'cm-ptx-stepMarker cm-ptx-stepMarker-current' : 'cm-ptx-stepMarker';
    span.textContent = this.current ? '▶' : '•';
    span.title = this.current ? 'The current step' : 'Show this step';
    return span;
  }
}
const MARK = new StepMarker(false);
const MARK_CURRENT = new StepMarker(true);

function isStepLine(state: EditorState, line: number): boolean {
  const { lines } = state.field(stepLinesField);
  // Sorted (statements come in line order): binary search.
  let lo = 0;
  let hi = lines.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const l = lines[mid] as number;
    if (l === line) return true;
    if (l < line) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

export interface EditorOptions {
  doc: string;
  label: string;
  onChange(text: string): void;
  /** A statement line was clicked (or Alt+Enter pressed on it): show its step. */
  onStepLine?(line: number): void;
}

export interface EditorHandle {
  /** Replace the whole text (an undoable change), unless it already is that. */
  setDoc(text: string): void;
  setDiagnostics(diags: Diagnostic[]): void;
  /** Put the cursor at LINE:COL and focus the editor. */
  focusAt(line: number, col: number): void;
  /** Mark the statement lines and the current step's line; `scroll` brings the current one into view. */
  setStepLines(steps: StepLines, scroll: boolean): void;
  /** Measure again (after being hidden with display: none). */
  refresh(): void;
  destroy(): void;
}

export function createEditor(parent: HTMLElement, opts: EditorOptions): EditorHandle {
  let applying = false;
  const askStep = (state: EditorState, line: number): boolean => {
    if (!opts.onStepLine || !isStepLine(state, line)) return false;
    opts.onStepLine(line);
    return true;
  };
  const stepGutter = gutter({
    class: 'cm-ptx-stepGutter',
    lineMarker(view, block) {
      const line = view.state.doc.lineAt(block.from).number;
      if (!isStepLine(view.state, line)) return null;
      return view.state.field(stepLinesField).current === line ? MARK_CURRENT : MARK;
    },
    lineMarkerChange: (u) => u.startState.field(stepLinesField) !== u.state.field(stepLinesField),
    initialSpacer: () => MARK_CURRENT,
    domEventHandlers: {
      mousedown(view, block) {
        return askStep(view.state, view.state.doc.lineAt(block.from).number);
      },
    },
  });
  const extensions: Extension[] = [
    stepLinesField,
    currentStepDecorations,
    veilDecorations,
    stepGutter,
    lineNumbers(),
    highlightActiveLineGutter(),
    history(),
    drawSelection(),
    highlightActiveLine(),
    ptxLanguage,
    ptxHighlight,
    diagnosticsField,
    // Long notes and the error messages wrap inside the narrow column instead of scrolling away.
    EditorView.lineWrapping,
    // No Tab binding: Tab leaves the editor (keyboard users must not be trapped).
    keymap.of([
      { key: 'Alt-Enter', run: (v) => askStep(v.state, v.state.doc.lineAt(v.state.selection.main.head).number) },
      ...defaultKeymap,
      ...historyKeymap,
    ]),
    // A click on a statement (not a drag that selects text) shows its step; the cursor goes there as usual.
    EditorView.domEventHandlers({
      click(event, view) {
        if (!view.state.selection.main.empty || event.button !== 0) return false;
        const pos = view.posAtCoords({ x: event.clientX, y: event.clientY });
        if (pos !== null) askStep(view.state, view.state.doc.lineAt(pos).number);
        return false;
      },
    }),
    EditorView.contentAttributes.of({
      'aria-label': opts.label,
      tabindex: '0',
      spellcheck: 'false',
      autocapitalize: 'off',
      autocorrect: 'off',
    }),
    EditorView.updateListener.of((u) => {
      if (u.docChanged && !applying) opts.onChange(u.state.doc.toString());
    }),
  ];
  const view = new EditorView({ parent, state: EditorState.create({ doc: opts.doc, extensions }) });
  return {
    setDoc(text) {
      if (view.state.doc.toString() === text) return;
      applying = true;
      try {
        view.dispatch({
          changes: { from: 0, to: view.state.doc.length, insert: text },
          selection: EditorSelection.cursor(0),
        });
      } finally {
        applying = false;
      }
    },
    setDiagnostics(diags) {
      view.dispatch({ effects: setDiagnosticsEffect.of(diags) });
    },
    focusAt(line, col) {
      const doc = view.state.doc;
      const l = doc.line(Math.max(1, Math.min(doc.lines, line)));
      const pos = Math.min(l.to, l.from + Math.max(0, col - 1));
      view.dispatch({ selection: EditorSelection.cursor(pos), scrollIntoView: true });
      view.focus();
    },
    setStepLines(steps, scroll) {
      const current =
        steps.current !== null && steps.current >= 1 && steps.current <= view.state.doc.lines ? steps.current : null;
      const effects: StateEffect<unknown>[] = [setStepLinesEffect.of(steps)];
      if (scroll && current !== null)
        effects.push(EditorView.scrollIntoView(view.state.doc.line(current).from, { y: 'nearest', yMargin: 48 }));
      view.dispatch({ effects });
    },
    refresh() {
      view.requestMeasure();
    },
    destroy() {
      view.destroy();
    },
  };
}
