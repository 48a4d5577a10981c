/**
 * Runs one scenario (the subset gen.ts writes) on the real kernel and prints,
 * per step, the outcome and each alive task's page-table bytes, VmRSS beyond
 * its own footprint, and minor faults so far. For checking a hypothesis about the kernel by hand:
 *
 *   printf 'spawn A\nA: mmap 1T 4M rw private anon fixed\nA: touch 1T 4M write\n' |
 *     node --import tsx test/linux/linux-run.ts
 */
import { readFileSync } from 'node:fs';
import { runOnLinux, scenarioToSteps } from './kernel';

const text = readFileSync(0, 'utf8');
const steps = text
  .split('\n')
  .filter((l) => l.trim() && !l.trim().startsWith('#') && !/^(title|kernel|paging)\b/.test(l.trim()));
const r = runOnLinux(scenarioToSteps(text));
r.steps.forEach((s, i) => {
  const o = s.outcome;
  const outcome =
    o.kind === 'errno'
      ? `errno ${o.errno}`
      : o.kind === 'signal'
        ? `signal ${o.signal}`
        : o.kind === 'ok' && o.value
          ? `ok ${o.value}`
          : o.kind;
  const kib = Object.entries(s.pgtables)
    .map(([t, b]) => `${t}=${b / 1024}K rss+${(s.vmrss[t] ?? 0) / 1024}K flt=${s.minflt[t]}`)
    .join(' ');
  console.log(`${String(i + 1).padStart(3)}  ${(steps[i] ?? '').padEnd(50)} ${outcome.padEnd(22)} ${kib}`);
});
