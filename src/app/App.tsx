// Placeholder page: the real explorer (src/app, src/store, src/views) comes later.
// Kept accessible (landmark + heading) so the e2e axe check is meaningful now.
export function App() {
  return (
    <main>
      <h1>Page Table Explorer</h1>
      <p>
        An interactive simulation of x86-64 Linux page tables: step through a scenario of
        processes, mappings and page faults, and watch the PGD, PUD, PMD and PTE levels change.
      </p>
    </main>
  );
}
