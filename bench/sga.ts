/**
 * Row 2: the cover letter's SGA, `ptx run` of bench/sga-mainline.ptx and
 * bench/sga-mshare-v1.ptx (1,500 tasks touching 300 GiB): wall time and
 * peak memory (maximum resident set) of the whole command, as a user runs
 * it: `node bin/ptx.js run FILE`, output discarded. Measured by
 * /usr/bin/time -f '%e %U %S %M' (which reports the largest RSS of the
 * process tree's members, so tsx's child counts).
 *
 * Two ways the CLI can run (bin/ptx.js): from the prebuilt bundle
 * node_modules/.cache/ptx-cli/ptx.mjs (`npm run build:cli`, what bin/ptx.js
 * picks when it is up to date) and through tsx (compiling the TypeScript at every start; forced
 * with PTX_TSX=1). The goals are checked against the bundle; the tsx figures
 * are printed for comparison.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fmtMB, fmtMs, median, type Row } from './lib';

export interface RunFigures {
  wallMs: number;
  cpuMs: number;
  /** Peak RSS in bytes (null when it could not be measured). */
  rss: number | null;
}

export interface SgaResult {
  reps: number;
  timeTool: string;
  bundle: { mainline: RunFigures; mshare: RunFigures };
  tsx: { mainline: RunFigures; mshare: RunFigures } | null;
}

const TIME = '/usr/bin/time';

/** Is the CLI bundle up to date (the test bin/ptx.js makes)? */
export function bundleFresh(root: string): boolean {
  try {
    const built = statSync(join(root, 'node_modules/.cache/ptx-cli/ptx.mjs')).mtimeMs;
    const meta = JSON.parse(readFileSync(join(root, 'node_modules/.cache/ptx-cli/meta.json'), 'utf8')) as {
      inputs: Record<string, unknown>;
    };
    return Object.keys(meta.inputs).every((f) => statSync(join(root, f)).mtimeMs <= built);
  } catch {
    return false;
  }
}

export function buildCli(root: string): void {
  const r = spawnSync('npm', ['run', '--silent', 'build:cli'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm run build:cli failed:\n${r.stderr || r.stdout}`);
}

function once(root: string, file: string, tsx: boolean): RunFigures {
  const env = { ...process.env, PTX_TSX: tsx ? '1' : '0' };
  const args = [process.execPath, join(root, 'bin/ptx.js'), 'run', file];
  if (existsSync(TIME)) {
    const r = spawnSync(TIME, ['-f', 'PTXTIME %e %U %S %M', ...args], {
      cwd: root,
      env,
      encoding: 'utf8',
      stdio: ['ignore', 'ignore', 'pipe'],
      maxBuffer: 1 << 26,
    });
    const m = /PTXTIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr);
    if (r.status !== 0 || !m) throw new Error(`ptx run ${file} failed (${r.status}): ${r.stderr.slice(-500)}`);
    return { wallMs: Number(m[1]) * 1000, cpuMs: (Number(m[2]) + Number(m[3])) * 1000, rss: Number(m[4]) * 1024 };
  }
  // No GNU time: wall time from here, CPU and peak RSS of the direct child only.
  const t = performance.now();
  const r = spawnSync(args[0] as string, args.slice(1), { cwd: root, env, stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`ptx run ${file} failed (${r.status})`);
  return { wallMs: performance.now() - t, cpuMs: NaN, rss: null };
}

function med(xs: RunFigures[]): RunFigures {
  const rss = xs.map((x) => x.rss).filter((x): x is number => x !== null);
  return {
    wallMs: median(xs.map((x) => x.wallMs)),
    cpuMs: median(xs.map((x) => x.cpuMs)),
    rss: rss.length ? median(rss) : null,
  };
}

export function runSga(root: string, opts: { reps: number; tsxReps: number }): SgaResult {
  if (!bundleFresh(root)) buildCli(root);
  if (!bundleFresh(root)) throw new Error('the CLI bundle is still not up to date after npm run build:cli');
  const files = { mainline: join(root, 'bench/sga-mainline.ptx'), mshare: join(root, 'bench/sga-mshare-v1.ptx') };
  const run = (tsx: boolean, reps: number): { mainline: RunFigures; mshare: RunFigures } => {
    const acc = { mainline: [] as RunFigures[], mshare: [] as RunFigures[] };
    once(root, files.mainline, tsx); // warm the file cache (and tsx's own cache)
    for (let i = 0; i < reps; i++) {
      acc.mainline.push(once(root, files.mainline, tsx));
      acc.mshare.push(once(root, files.mshare, tsx));
    }
    return { mainline: med(acc.mainline), mshare: med(acc.mshare) };
  };
  return {
    reps: opts.reps,
    timeTool: existsSync(TIME) ? `${TIME} -f %e %U %S %M` : 'none (wall time only)',
    bundle: run(false, opts.reps),
    tsx: opts.tsxReps > 0 ? run(true, opts.tsxReps) : null,
  };
}

export function sgaRows(r: SgaResult): Row[] {
  const fig = (f: RunFigures): string =>
    `${fmtMs(f.wallMs)} (CPU ${fmtMs(f.cpuMs)}), ${f.rss === null ? 'RSS n/a' : fmtMB(f.rss)}`;
  const ok = (f: RunFigures): Row['status'] => (f.wallMs < 500 && f.rss !== null && f.rss < 300e6 ? 'pass' : 'miss');
  const rows: Row[] = [
    {
      what: 'ptx run SGA mainline (1,500 tasks × 300 GiB), bundle',
      figure: fig(r.bundle.mainline),
      goal: '< 0.5 s, < 300 MB',
      status: ok(r.bundle.mainline),
    },
    {
      what: 'ptx run SGA mshare-v1 (1,500 tasks × 300 GiB), bundle',
      figure: fig(r.bundle.mshare),
      goal: '< 0.5 s, < 300 MB',
      status: ok(r.bundle.mshare),
    },
  ];
  if (r.tsx) {
    const ok2 = (f: RunFigures): Row['status'] =>
      f.wallMs < 2000 && f.rss !== null && f.rss < 500e6 ? 'pass' : 'miss';
    rows.push(
      {
        what: 'ptx run SGA mainline, through tsx (no bundle)',
        figure: fig(r.tsx.mainline),
        goal: '< 2 s, < 500 MB (issue 2)',
        status: ok2(r.tsx.mainline),
      },
      {
        what: 'ptx run SGA mshare-v1, through tsx (no bundle)',
        figure: fig(r.tsx.mshare),
        goal: '< 2 s, < 500 MB (issue 2)',
        status: ok2(r.tsx.mshare),
      },
    );
  }
  return rows;
}
