/**
 * The scenario editor: CodeMirror 6 with the language's highlighting and
 * inline diagnostics (the parser's LINE:COLUMN errors underlined at their
 * column, the message shown at the end of the line). A factory in the
 * style of the d3 behaviours: createEditor() → { update…, destroy }.
 */
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { EditorSelection, EditorState, StateEffect, StateField, type Extension, type Range } from '@codemirror/state';
import {
  Decoration,
  EditorView,
  WidgetType,
  drawSelection,
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
    if (to > from) ranges.push(Decoration.mark({ class: 'cm-ptx-error', attributes: { title: d.message } }).range(from, to));
    ranges.push(Decoration.widget({ widget: new MessageWidget(`${d.line}:${d.col}: ${d.message}`), side: 1 }).range(line.to));
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

export interface EditorOptions {
  doc: string;
  label: string;
  onChange(text: string): void;
}

export interface EditorHandle {
  /** Replace the whole text (an undoable change), unless it already is that. */
  setDoc(text: string): void;
  setDiagnostics(diags: Diagnostic[]): void;
  /** Put the cursor at LINE:COL and focus the editor. */
  focusAt(line: number, col: number): void;
  /** Measure again (after being hidden with display: none). */
  refresh(): void;
  destroy(): void;
}

export function createEditor(parent: HTMLElement, opts: EditorOptions): EditorHandle {
  let applying = false;
  const extensions: Extension[] = [
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
    keymap.of([...defaultKeymap, ...historyKeymap]),
    EditorView.contentAttributes.of({ 'aria-label': opts.label, tabindex: '0', spellcheck: 'false', autocapitalize: 'off', autocorrect: 'off' }),
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
        view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text }, selection: EditorSelection.cursor(0) });
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
    refresh() {
      view.requestMeasure();
    },
    destroy() {
      view.destroy();
    },
  };
}
