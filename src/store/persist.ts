/**
 * Where the user's text survives a reload: localStorage, behind a tiny
 * key-value interface so the store can be tested in Node with a Map.
 * Every access is guarded: private browsing, a full quota or a disabled
 * storage must never break the app (the text then lives for the session).
 */

export interface KV {
  get(key: string): string | null;
  /** false when the value could not be stored. */
  set(key: string, value: string): boolean;
  remove(key: string): void;
}

export const KEYS = {
  /** What is in the editor, saved on every change. */
  text: 'ptx:text',
  /**
   * '1' when the editor's text is the user's own (typed, or restored), '0'
   * when a link or the gallery put it there and it was not edited since.
   * Missing (saved by an older version): the user's own.
   */
  textOwn: 'ptx:text-own',
  /** The user's own texts that loads replaced, newest first: a JSON array of at most MAX_BACKUPS strings. */
  backups: 'ptx:backups',
  /** Older versions kept one backup here; read once into `backups`. */
  previous: 'ptx:previous-text',
  theme: 'ptx:theme',
} as const;

/** How many of the user's own texts are kept. */
export const MAX_BACKUPS = 3;

/** The saved backups, newest first; anything unreadable counts as none (never throws). */
export function readBackups(kv: KV): string[] {
  const raw = kv.get(KEYS.backups);
  let list: unknown = [];
  if (raw !== null) {
    try {
      list = JSON.parse(raw);
    } catch {
      list = [];
    }
  } else {
    const legacy = kv.get(KEYS.previous);
    if (legacy !== null) list = [legacy];
  }
  return Array.isArray(list)
    ? list.filter((t): t is string => typeof t === 'string' && t.trim() !== '').slice(0, MAX_BACKUPS)
    : [];
}

/** `text` first, then the others without it: the same text is kept once. */
export function withBackup(list: readonly string[], text: string): string[] {
  return [text, ...list.filter((t) => t !== text)].slice(0, MAX_BACKUPS);
}

/**
 * The browser's storage: `local` (kept across visits) or `session` (this tab only, kept across a reload).
 * Merely naming `localStorage` throws where storage is disabled, hence the guard around the lookup too.
 */
export function browserKV(which: 'local' | 'session' = 'local'): KV {
  const ls = (): Storage | null => {
    try {
      if (which === 'session') return typeof sessionStorage === 'undefined' ? null : sessionStorage;
      return typeof localStorage === 'undefined' ? null : localStorage;
    } catch {
      return null;
    }
  };
  return {
    get(key) {
      try {
        return ls()?.getItem(key) ?? null;
      } catch {
        return null;
      }
    },
    set(key, value) {
      try {
        const s = ls();
        if (!s) return false;
        s.setItem(key, value);
        return true;
      } catch {
        return false;
      }
    },
    remove(key) {
      try {
        ls()?.removeItem(key);
      } catch {
        /* nothing to do */
      }
    },
  };
}

/** In memory: tests, and the embed mode (which must never overwrite the user's own text). */
export function memoryKV(init: Record<string, string> = {}): KV & { data: Map<string, string> } {
  const data = new Map(Object.entries(init));
  return {
    data,
    get: (k) => data.get(k) ?? null,
    set: (k, v) => {
      data.set(k, v);
      return true;
    },
    remove: (k) => {
      data.delete(k);
    },
  };
}
