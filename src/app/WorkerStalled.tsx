/**
 * The simulator stopped because a step took longer than its time budget
 * (src/store/simClient.ts, issue 13): said in words over the page tables,
 * with a button to try again with twice the time. The page stays usable:
 * the steps before still show, and going to another step works at once.
 */
import { useSyncExternalStore } from 'react';
import { useExplorer } from './context';
import { loadedId, simClient } from './derived';

function seconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}

export function WorkerStalled() {
  const loaded = useExplorer((s) => s.loaded);
  const cursor = useExplorer((s) => s.cursor);
  useSyncExternalStore(simClient.subscribe, simClient.getVersion);
  const stall = simClient.stalled();
  if (!stall || !loaded || stall.scenarioId !== loadedId(loaded) || stall.n !== cursor) return null;
  return (
    <div className="sim-failure worker-stalled" role="alert" data-testid="worker-stalled">
      <p>
        Step {stall.n} is too slow to simulate here: it was stopped after {seconds(stall.ms)} so that this page stays
        responsive. The steps before it still work; a smaller scenario (fewer tasks, shorter ranges) runs faster.
      </p>
      <button type="button" onClick={() => simClient.keepTrying()}>
        Keep trying ({seconds(stall.ms * 2)})
      </button>
    </div>
  );
}
