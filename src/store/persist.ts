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
  /** The text replaced by the last gallery/link load, so it can be restored. */
  previous: 'ptx:previous-text',
  theme: 'ptx:theme',
} as const;

export function browserKV(): KV {
  const ls = (): Storage | null => {
    try {
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
