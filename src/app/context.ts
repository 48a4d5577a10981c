/**
 * The store reaches components through a context (so a test or the embed
 * mode can give its own) and is read with zustand's useStore and selectors.
 */
import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { StoreApi } from 'zustand/vanilla';
import type { ExplorerState } from '../store/store';

export const StoreContext = createContext<StoreApi<ExplorerState> | null>(null);

export function useExplorerStore(): StoreApi<ExplorerState> {
  const store = useContext(StoreContext);
  if (!store) throw new Error('no explorer store: wrap the app in <StoreContext value={store}>');
  return store;
}

/** Select from the store; re-renders when the selected value changes (Object.is). */
export function useExplorer<T>(selector: (s: ExplorerState) => T): T {
  return useStore(useExplorerStore(), selector);
}
