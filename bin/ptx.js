#!/usr/bin/env node
// `ptx` shim. Two ways to run the CLI (src/cli/ptx.ts):
//  - the prebuilt bundle node_modules/.cache/ptx-cli/ptx.mjs (`npm run build:cli`), in
//    this process, when it is newer than every source file it was built from (meta.json
//    next to it is esbuild's metafile, listing them): nothing to compile, so it starts
//    in a fraction of the time (docs/PERFORMANCE.md);
//  - otherwise (no bundle, a source changed since, or PTX_TSX=1) through tsx, no build
//    step. A child process (rather than registering tsx in-process) keeps
//    process.argv[1] pointing at ptx.ts, so the CLI sees exactly what
//    `node --import tsx ptx.ts` gives it.
// The CLI reads only process.argv.slice(2), which is the same either way.
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = new URL('../', import.meta.url);

/** The bundle's URL when it is up to date, else null. */
function freshBundle() {
  if (process.env.PTX_TSX === '1') return null;
  try {
    const bundle = new URL('node_modules/.cache/ptx-cli/ptx.mjs', root);
    const built = statSync(bundle).mtimeMs;
    const meta = JSON.parse(readFileSync(new URL('node_modules/.cache/ptx-cli/meta.json', root), 'utf8'));
    for (const input of Object.keys(meta.inputs)) {
      if (statSync(new URL(input, root)).mtimeMs > built) return null;
    }
    return bundle;
  } catch {
    return null; // missing, unreadable, or an input is gone: not up to date
  }
}

const bundle = freshBundle();
if (bundle) {
  await import(bundle.href);
} else {
  const cli = fileURLToPath(new URL('src/cli/ptx.ts', root));
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
}
