import { readdirSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { LESSONS, SECTIONS } from '../scenario/lessons';
import { BIG_SCENARIO, INTRO_SCENARIO, SEED_SCENARIO } from '../scenario/examples';
import {
  describe as describeScenario,
  galleryItems,
  gallerySections,
  lessonOfText,
  loadedScenarioFiles,
  loadScenarioFiles,
  titleOf,
  type ScenarioFiles,
} from './gallery';

describe("the scenarios' texts, loaded on first need (issue 18)", () => {
  // First in this file: nothing here has loaded them yet.
  it('are not there before the first load, then are every scenarios/*.ptx file as it is on disk, loaded once', async () => {
    expect(loadedScenarioFiles()).toBeUndefined();
    const first = loadScenarioFiles();
    expect(loadScenarioFiles()).toBe(first); // one load, however many ask while it runs
    const files = await first;
    expect(loadedScenarioFiles()).toBe(files);
    const dir = new URL('../../scenarios/', import.meta.url);
    const names = readdirSync(dir).filter((f) => f.endsWith('.ptx'));
    expect(names.length).toBeGreaterThan(30);
    expect(Object.keys(files).sort()).toEqual(names.map((f) => `../../scenarios/${f}`).sort());
    for (const f of names) expect(files[`../../scenarios/${f}`], f).toBe(readFileSync(new URL(f, dir), 'utf8'));
    expect(await loadScenarioFiles()).toBe(files);
  });
});

describe('the gallery', () => {
  let files: ScenarioFiles;
  beforeAll(async () => {
    files = await loadScenarioFiles();
  });

  it('takes the title and the first note', () => {
    expect(describeScenario('# a comment\ntitle "T"\nnote "first"\nspawn A\nnote "second"\nA: exit\n', 'f')).toEqual({
      title: 'T',
      summary: 'first',
    });
  });
  it('falls back to the leading comment and the file name', () => {
    expect(describeScenario('# Forking a big heap\n# more\nspawn A\n', 'fork-heap')).toEqual({
      title: 'fork-heap',
      summary: 'Forking a big heap',
    });
  });
  it('reads title and note even from a text that does not parse', () => {
    expect(describeScenario('title "Broken \\"one\\""\nnote "n"\nfrob\n', 'x')).toEqual({
      title: 'Broken "one"',
      summary: 'n',
    });
  });

  it('issue 16: shows the lesson sections in order, every lesson once, each with its goal, minutes and what the learner sees', () => {
    const sections = gallerySections(files);
    expect(sections.map((s) => s.title)).toEqual(SECTIONS.map((s) => s.title));
    // The sections, in its order (a later section such as TLBs may come in between).
    expect(sections.map((s) => s.title).filter((t) => !/TLB/.test(t))).toEqual([
      'Paging basics and the walk',
      'Zero page, copy-on-write and fork',
      'munmap and free_pgtables',
      'MADV_DONTNEED and PT_RECLAIM',
      '5-level paging',
      'hugetlb PMD sharing',
      'mshare v1 (2022, the seed)',
      'msharefs (2025)',
      'The SGA at scale',
    ]);
    const items = galleryItems(files);
    expect(items.map((i) => i.lesson?.name)).toEqual(LESSONS.map((l) => l.name));
    expect(items.map((i) => i.lesson?.index)).toEqual(LESSONS.map((_, i) => i + 1));
    for (const it of items) {
      expect(it.lesson?.of).toBe(LESSONS.length);
      expect(it.summary).toBe(it.lesson?.see);
    }
    expect(items[0]).toMatchObject({
      id: 'builtin:intro',
      text: INTRO_SCENARIO,
      title: 'First steps: faults build page tables, fork copies them',
    });
    expect(items.find((i) => i.id === 'builtin:big')?.text).toBe(BIG_SCENARIO);
  });

  it('issue 16: no scenario twice (the seed only as its file), no title twice', () => {
    const items = galleryItems(files);
    expect(new Set(items.map((i) => i.text)).size).toBe(items.length);
    expect(new Set(items.map((i) => i.title)).size).toBe(items.length);
    expect(new Set(items.map((i) => i.id)).size).toBe(items.length);
    expect(items.some((i) => i.text === SEED_SCENARIO)).toBe(false);
    expect(items.filter((i) => /guest's first fault copies a PGD entry/.test(i.title)).map((i) => i.source)).toEqual([
      'scenarios/mshare-v1-guest-fault.ptx',
    ]);
  });

  it('issue 16: no summary only says who a task is ("A, the creator.")', () => {
    for (const it of galleryItems(files)) expect(it.summary, it.id).not.toMatch(/^[A-Z]\w*, (the|a|an) [\w ]+\.$/);
  });

  it('puts a file that no lesson lists under "More scenarios", with its title and first note', () => {
    const sections = gallerySections({
      '../../scenarios/madvise-reclaim.ptx': 'title "Reclaim"\nspawn A\n',
      '../../scenarios/tlb-new.ptx': 'title "A TLB"\nnote "what it shows"\nspawn A\n',
    });
    // The built-in lessons stay; of the files only the one given.
    expect(sections.map((s) => s.title)).toEqual([
      'Paging basics and the walk',
      'MADV_DONTNEED and PT_RECLAIM',
      'The SGA at scale',
      'More scenarios',
    ]);
    expect(sections[3]?.items).toEqual([
      {
        id: 'file:tlb-new.ptx',
        title: 'A TLB',
        summary: 'what it shows',
        text: 'title "A TLB"\nnote "what it shows"\nspawn A\n',
        source: 'scenarios/tlb-new.ptx',
      },
    ]);
    expect(sections[1]?.items[0]?.lesson?.name).toBe('madvise-reclaim');
  });

  it('knows the lesson of a text only while it is unedited', () => {
    expect(lessonOfText(INTRO_SCENARIO, files)?.lesson.name).toBe('first-steps');
    const seed = galleryItems(files).find((i) => i.lesson?.name === 'mshare-v1-guest-fault');
    expect(lessonOfText(seed!.text, files)?.lesson.index).toBe(
      LESSONS.findIndex((l) => l.name === 'mshare-v1-guest-fault') + 1,
    );
    expect(lessonOfText(seed!.text + '# mine\n', files)).toBeUndefined();
    expect(lessonOfText(SEED_SCENARIO, files)).toBeUndefined();
  });
});

describe('titleOf (the gallery reads titles without parsing each text)', () => {
  it("gives the parser's title for every scenario file and built-in example", () => {
    const dir = new URL('../../scenarios/', import.meta.url);
    const texts = readdirSync(dir)
      .filter((f) => f.endsWith('.ptx'))
      .map((f) => readFileSync(new URL(f, dir), 'utf8'));
    for (const text of [...texts, INTRO_SCENARIO, BIG_SCENARIO, SEED_SCENARIO]) {
      expect(titleOf(text, 'fallback')).toBe(describeScenario(text, 'fallback').title);
    }
  });

  it('reads an escaped quote, skips a commented-out title, and falls back without a title line', () => {
    expect(titleOf('title "a \\"b\\" c"\nspawn A\n', 'x')).toBe('a "b" c');
    expect(titleOf('# title "not this"\nspawn A\n', 'x')).toBe('x');
    expect(titleOf('spawn A\n', 'fallback')).toBe('fallback');
  });
});

describe('gallerySections', () => {
  it('is computed once per set of files', async () => {
    const files = await loadScenarioFiles();
    expect(gallerySections(files)).toBe(gallerySections(files));
    const copy = { ...files };
    expect(gallerySections(copy)).not.toBe(gallerySections(files));
    expect(gallerySections(copy)).toEqual(gallerySections(files));
  });
});
