/**
 * Predict mode's slice of the store (issue 16): while it is on, the forward
 * step action does not reveal a step at once; it first holds the step
 * (`predictAt`) for the Predict panel to ask its questions
 * (src/scenario/questions.ts), and the panel reveals it once they are
 * answered, skipped, or when there is nothing to ask.
 *
 * Moving by event (Shift+→, "Next event"; issue 14) holds the next event
 * the same way (`predictEvent`): the panel asks what runs next
 * (questions.ts eventQuestionsFor) before the position moves. A move by step
 * asks the step's questions as before.
 *
 * Answers are kept per lesson in the browser's storage (never in embed mode,
 * whose storage is a memory one): `ptx:predict:<lesson key>` holds a JSON
 * object { questionId: { choice, right } }.
 */
import type { StateCreator } from 'zustand/vanilla';
import { hashString } from '../scenario/hash';
import type { KV } from './persist';

export interface PredictAnswer {
  choice: number;
  right: boolean;
}

export interface PredictSlice {
  /**
   * Predict mode: each step that changes something is asked about before it is shown (toggle "Predict", `predict=1` in
   * a link).
   */
  predict: boolean;
  /**
   * The step held back while its questions are asked: cursor + 1 when it was asked for; null when none. For an event
   * held back, the step of that event (`predictEvent.to.cursor`).
   */
  predictAt: number | null;
  /**
   * An event held back (moving by event): the position it was asked from, the one revealing it goes to
   * (derive.ts nextEventPosition), and which event of step `to.cursor` that reveals, 1-based. Null for a step hold.
   */
  predictEvent: EventHold | null;
  /** Which lesson `answers` belong to (lessonKey()); null before the first. */
  lesson: string | null;
  /** The lesson's answers by question id. */
  answers: Record<string, PredictAnswer>;
  setPredict(on: boolean): void;
  /** Switch `answers` to a lesson's (read from storage); nothing happens when it already is. */
  openLesson(key: string): void;
  /** Record an answer of the current lesson (kept: the first answer is the one that counts). */
  answerQuestion(id: string, a: PredictAnswer): void;
  /**
   * Moving forward by event to `to` from the current position (`of`: the current step's events): in Predict mode,
   * hold that event back and return true (the move then does nothing more); false when it may move at once.
   */
  holdEvent(to: EventPosition, of: number): boolean;
  /** Show the held step (when the cursor is still just before it), or the held event (if still where it was asked). */
  revealStep(): void;
  /** Forget the current lesson's answers (to take the quiz again). */
  resetAnswers(): void;
}

/** A place in the scenario (derive.ts Position). */
export interface EventPosition {
  cursor: number;
  event: number | null;
}

export interface EventHold {
  from: EventPosition;
  to: EventPosition;
  /** The event `to` reveals: `report.events[k - 1]` of step `to.cursor`. */
  k: number;
}

/** Whether an event hold was asked from the position the cursor is at now (else it is stale and shows nothing). */
export const eventHeldAt = (h: EventHold | null, p: EventPosition): boolean =>
  h !== null && h.from.cursor === p.cursor && h.from.event === p.event;

/** The storage key of a lesson's answers. */
export const predictKey = (lesson: string): string => `ptx:predict:${lesson}`;

/**
 * The lesson a text is: for now its text (a hash and the length, so the key
 * stays short and an edited text is a new lesson, its questions renumbered).
 * Named lessons can later return their name here.
 */
export function lessonKey(loaded: { text: string }): string {
  return `t${hashString(loaded.text).toString(36)}-${loaded.text.length.toString(36)}`;
}

function readAnswers(kv: KV, lesson: string): Record<string, PredictAnswer> {
  const raw = kv.get(predictKey(lesson));
  if (raw === null) return {};
  try {
    const v: unknown = JSON.parse(raw);
    if (!v || typeof v !== 'object' || Array.isArray(v)) return {};
    const out: Record<string, PredictAnswer> = {};
    for (const [id, a] of Object.entries(v as Record<string, unknown>)) {
      const x = a as Partial<PredictAnswer> | null;
      if (x && Number.isInteger(x.choice) && typeof x.right === 'boolean')
        out[id] = { choice: x.choice!, right: x.right };
    }
    return out;
  } catch {
    return {}; // a damaged entry is no answer, never an error
  }
}

/** The state the slice needs from the rest of the store. */
interface Host {
  cursor: number;
  event: number | null;
  loaded: { scenario: { steps: readonly unknown[] } } | null;
  embed: boolean;
  playing: boolean;
}

/**
 * Called first by the forward step action: true when Predict mode holds the
 * next step back (the action then does nothing more). A second press while
 * the questions are up does nothing either: the step is revealed by answering.
 */
export function holdForPrediction<S extends PredictSlice & Host>(
  get: () => S,
  set: (p: Partial<PredictSlice>) => void,
): boolean {
  const s = get();
  const max = s.loaded ? s.loaded.scenario.steps.length : 0;
  if (!s.predict || s.cursor >= max) return false;
  if (s.predictAt !== s.cursor + 1 || s.predictEvent !== null) set({ predictAt: s.cursor + 1, predictEvent: null });
  return true;
}

export function createPredictSlice<S extends PredictSlice & Host>(
  kv: KV,
  deps: { predict?: boolean },
): StateCreator<S, [], [], PredictSlice> {
  const save = (s: S): void => {
    if (s.embed || s.lesson === null) return;
    if (Object.keys(s.answers).length === 0) kv.remove(predictKey(s.lesson));
    else kv.set(predictKey(s.lesson), JSON.stringify(s.answers));
  };
  return (set, get) => ({
    predict: deps.predict ?? false,
    predictAt: null,
    predictEvent: null,
    lesson: null,
    answers: {},
    setPredict(on) {
      set({ predict: on, predictAt: null, predictEvent: null } as Partial<S>);
    },
    openLesson(key) {
      if (get().lesson === key) return;
      set({ lesson: key, answers: readAnswers(kv, key) } as Partial<S>);
    },
    answerQuestion(id, a) {
      const s = get();
      if (s.answers[id]) return;
      set({ answers: { ...s.answers, [id]: { choice: a.choice, right: a.right } } } as Partial<S>);
      save(get());
    },
    holdEvent(to, of) {
      const s = get();
      if (!s.predict) return false;
      const from = { cursor: s.cursor, event: s.event };
      // Within the step: the event `to` shows done (null: the step's end, its last); into the next step: its first.
      const k = to.cursor === from.cursor ? (to.event ?? of) : to.cursor === from.cursor + 1 ? 1 : 0;
      if (k < 1 || (to.cursor === from.cursor && to.event === from.event)) return false;
      const h = s.predictEvent;
      const same = eventHeldAt(h, from) && h!.to.cursor === to.cursor && h!.to.event === to.event && h!.k === k;
      if (!same) set({ predictAt: to.cursor, predictEvent: { from, to, k } } as Partial<S>);
      return true;
    },
    revealStep() {
      const s = get();
      const h = s.predictEvent;
      if (h !== null) {
        if (eventHeldAt(h, s))
          set({ cursor: h.to.cursor, event: h.to.event, predictAt: null, predictEvent: null } as unknown as Partial<S>);
        else set({ predictAt: null, predictEvent: null } as Partial<S>);
        return;
      }
      if (s.predictAt === null) return;
      if (s.predictAt === s.cursor + 1) set({ cursor: s.predictAt, predictAt: null } as unknown as Partial<S>);
      else set({ predictAt: null } as Partial<S>);
    },
    resetAnswers() {
      set({ answers: {} } as Partial<S>);
      save(get());
    },
  });
}

/** Right answers and answers given, of the current lesson. */
export function score(answers: Record<string, PredictAnswer>): { right: number; total: number } {
  const all = Object.values(answers);
  return { right: all.filter((a) => a.right).length, total: all.length };
}
