#!/usr/bin/env node
// `ptx` shim: runs the TypeScript CLI (src/cli/ptx.ts) through tsx, no build step.
// A child process (rather than registering tsx in-process) keeps process.argv[1]
// pointing at ptx.ts, so the CLI sees exactly what `node --import tsx ptx.ts` gives it.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../src/cli/ptx.ts', import.meta.url));
// Resolve tsx from this package, not from the caller's cwd (the bin may run anywhere).
const tsx = import.meta.resolve('tsx');

const child = spawn(process.execPath, ['--import', tsx, cli, ...process.argv.slice(2)], {
  stdio: 'inherit',
});

// Let Ctrl-C etc. reach the CLI; exit the way it exited.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => child.kill(sig));
}
child.on('error', (err) => {
  console.error(`ptx: cannot start node: ${err.message}`);
  process.exit(1);
});
child.on('exit', (code, signal) => {
  if (signal) {
    // Re-raise the child's signal on ourselves (without our forwarding handler).
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  } else {
    process.exit(code ?? 1);
  }
});
