/**
 * ptx: the command line over the core (../../shared/spec/scenario-language.md §2).
 *
 *   ptx run FILE [--json]              run a scenario ('-' reads stdin)
 *   ptx url FILE [--step N] [--base URL]
 *   ptx decode LINK              ('-' reads the link from stdin)
 *
 * Exit 0 when the scenario loaded (whatever its outcomes), 2 with
 * FILE:LINE:COL: message when it did not. Never a stack trace: any error
 * we did not foresee is one line and exit 2 (see the handlers at the end).
 * Whatever came from the input is escaped before it reaches the terminal
 * (./terminal.ts). This file is the launcher and the last resort; the
 * commands are in ./commands.ts.
 */
import { writeSync } from 'node:fs';
import { totalmem } from 'node:os';
import { Worker, isMainThread, workerData } from 'node:worker_threads';
import { Exit } from './exit';
import { escapeForTerminal } from './terminal';

/** The last resort: one line on stderr and exit 2, whatever went wrong and wherever. */
function die(e: unknown): never {
  const message = e instanceof Exit ? e.message : `ptx: internal error: ${e instanceof Error ? e.message : String(e)}`;
  try {
    // Synchronous, so the line is out before exit; escaped, since a message may quote the input.
    writeSync(2, escapeForTerminal(message) + '\n');
  } catch {
    /* stderr is gone too: nothing more to say */
  }
  process.exit(e instanceof Exit ? e.code : 2);
}

/** EPIPE: whoever reads our output stopped (`ptx run … | head -c 100`). That is their choice, not an error. */
function onStreamError(e: NodeJS.ErrnoException): void {
  if (e.code === 'EPIPE') process.exit(0);
  die(e);
}
process.stdout.on('error', onStreamError);
process.stderr.on('error', onStreamError);
process.on('uncaughtException', die);
process.on('unhandledRejection', die);

/**
 * The heap the work may use: what V8 would give by itself on a large machine
 * (about 4 GiB), less on a small one; PTX_HEAP_MB sets it (tests, small hosts).
 */
const HEAP_MB = /^[0-9]{1,7}$/.test(process.env.PTX_HEAP_MB ?? '')
  ? Math.max(8, Number(process.env.PTX_HEAP_MB))
  : Math.max(512, Math.min(4096, Math.floor(totalmem() / 2 / 2 ** 20)));

if (isMainThread) {
  // The work runs in a worker thread with a heap limit: past it, V8 ends the
  // worker (ERR_WORKER_OUT_OF_MEMORY) instead of aborting the whole process
  // with "FATAL ERROR: … JavaScript heap out of memory", a native stack and
  // exit 134. Whatever a scenario costs, the answer is then one line and exit 2.
  // This very file is the worker's code. Run from source (tsx), the worker must
  // register tsx itself first: a worker thread does not take --import from its parent.
  const self = import.meta.url;
  const entry = self.endsWith('.ts')
    ? `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(self)}); })`
    : new URL(self);
  const worker = new Worker(entry, {
    eval: typeof entry === 'string',
    workerData: { argv: process.argv.slice(2) },
    resourceLimits: { maxOldGenerationSizeMb: HEAP_MB },
  });
  worker.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'ERR_WORKER_OUT_OF_MEMORY') {
      die(
        new Exit(
          2,
          `ptx: this scenario needs more than ${HEAP_MB} MiB of memory to simulate, so it was stopped; make it smaller (fewer tasks or steps, smaller ranges touched)`,
        ),
      );
    }
    die(e);
  });
  worker.on('exit', (code) => {
    process.exitCode = code;
  });
} else {
  // Imported here, not at the top: the main thread never evaluates the core, only the worker does.
  import('./commands').then(({ main }) => {
    try {
      process.exitCode = main((workerData as { argv: string[] }).argv);
    } catch (e) {
      die(e);
    }
  }, die);
}
