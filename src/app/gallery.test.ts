import { describe, expect, it } from 'vitest';
import { describe as describeScenario, galleryItems } from './gallery';

describe('the gallery', () => {
  it('takes the title and the first note', () => {
    expect(describeScenario('# a comment\ntitle "T"\nnote "first"\nspawn A\nnote "second"\nA: exit\n', 'f')).toEqual({ title: 'T', summary: 'first' });
  });
  it('falls back to the leading comment and the file name', () => {
    expect(describeScenario('# Forking a big heap\n# more\nspawn A\n', 'fork-heap')).toEqual({ title: 'fork-heap', summary: 'Forking a big heap' });
  });
  it('reads title and note even from a text that does not parse', () => {
    expect(describeScenario('title "Broken \\"one\\""\nnote "n"\nfrob\n', 'x')).toEqual({ title: 'Broken "one"', summary: 'n' });
  });
  it('lists files after the built-ins, a file replacing a built-in of the same title', () => {
    const items = galleryItems({
      '../../scenarios/b.ptx': 'title "B file"\nspawn A\n',
      '../../scenarios/a.ptx': `title "First steps: faults build page tables, fork copies them"\nspawn A\n`,
    });
    const titles = items.map((i) => i.title);
    expect(titles.filter((t) => t.startsWith('First steps'))).toHaveLength(1);
    expect(items.find((i) => i.title.startsWith('First steps'))?.source).toBe('scenarios/a.ptx');
    expect(titles.indexOf('B file')).toBeGreaterThan(titles.indexOf("mshare: the guest's first fault copies a PGD entry"));
  });
});
