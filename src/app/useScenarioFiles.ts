import { useEffect, useState } from 'react';
import { loadedScenarioFiles, loadScenarioFiles, type ScenarioFiles } from './gallery';

/**
 * The texts of scenarios/ for a view, loaded the first time it is `wanted`
 * (issue 18: they are not part of the first load). Until then `files` is
 * undefined; if the load fails, `error` says why and the next time the view
 * is wanted it tries again.
 */
export function useScenarioFiles(wanted: boolean): { files?: ScenarioFiles; error?: string } {
  const [state, setState] = useState<{ files?: ScenarioFiles; error?: string }>(() => ({
    files: loadedScenarioFiles(),
  }));
  useEffect(() => {
    if (!wanted || state.files) return;
    let live = true;
    loadScenarioFiles().then(
      (files) => {
        if (live) setState({ files });
      },
      (e: unknown) => {
        if (live) setState({ error: e instanceof Error ? e.message : String(e) });
      },
    );
    return () => {
      live = false;
    };
  }, [wanted, state.files]);
  return state;
}
