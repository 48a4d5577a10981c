/**
 * The layer order of eslint.config.js, shown to hold: a small file is linted
 * in memory (ESLint's Node API) at a path in each layer, importing each
 * other layer, and lint must fail exactly where the import goes against the
 * order core <- scenario <- store <- views <- app (the CLI: core and
 * scenario; the core's tests may use the scenario language too).
 */
import { ESLint } from 'eslint';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TARGETS = ['core', 'scenario', 'store', 'views', 'app', 'cli'] as const;

/** Where a file may import from, by its place (worked out from the order, not read from the config). */
const ALLOWED: [string, string[]][] = [
  ['src/core/probe.ts', ['core']],
  ['src/core/probe.test.ts', ['core', 'scenario']],
  ['src/scenario/probe.ts', ['core', 'scenario']],
  ['src/store/probe.ts', ['core', 'scenario', 'store']],
  ['src/views/probe.ts', ['core', 'scenario', 'store', 'views']],
  ['src/app/probe.tsx', ['core', 'scenario', 'store', 'views', 'app']],
  ['src/cli/probe.ts', ['core', 'scenario', 'cli']],
];

let eslint: ESLint;
beforeAll(() => {
  eslint = new ESLint({ cwd: ROOT });
});

async function restricted(filePath: string, code: string): Promise<string[]> {
  const [r] = await eslint.lintText(code, { filePath: `${ROOT}/${filePath}` });
  return (r?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('lint enforces the layer order', () => {
  for (const [file, allowed] of ALLOWED) {
    const from = file.split('/')[1] as string;
    for (const to of TARGETS) {
      const ok = allowed.includes(to);
      // From the layer's own folder, a sibling layer is '../<layer>/x'.
      const spec = to === from ? `./x` : `../${to}/x`;
      it(`${file} importing ${spec}: ${ok ? 'allowed' : 'an error'}`, async () => {
        const errors = await restricted(file, `import { x } from '${spec}';\nexport const y = x;\n`);
        if (ok) expect(errors).toEqual([]);
        else expect(errors).toEqual([expect.stringContaining(`may not import`)]);
      });
    }
  }

  it('src-rooted and deeper relative paths are caught too', async () => {
    expect(
      await restricted('src/store/probe.ts', "import { x } from 'src/app/App';\nexport const y = x;\n"),
    ).toHaveLength(1);
    expect(
      await restricted('src/core/probe.ts', "import { x } from '../../src/views/treeView';\nexport const y = x;\n"),
    ).toHaveLength(1);
  });

  it('the pure layers import no UI library; the store may', async () => {
    const code = "import { useState } from 'react';\nexport const y = useState;\n";
    expect(await restricted('src/core/probe.ts', code)).toEqual([expect.stringContaining('pure')]);
    expect(await restricted('src/scenario/probe.ts', code)).toEqual([expect.stringContaining('pure')]);
    expect(await restricted('src/store/probe.ts', code)).toEqual([]);
  });
});
