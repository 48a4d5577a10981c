/**
 * The lesson path (issue 16): every scenario file is a lesson exactly once,
 * names are unique and fit a link as they are, and the order is total (from
 * the first lesson, "next" reaches every lesson once and stops at the last).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LESSON_NAME, LESSONS, lessonByName, nextLesson, SECTIONS, sectionOf } from './lessons';
import { parseScenario } from './parser';

const DIR = new URL('../../scenarios/', import.meta.url);
const files = readdirSync(DIR).filter((f) => f.endsWith('.ptx'));

describe('the lessons', () => {
  it('list every scenarios/*.ptx file exactly once, and only files that exist', () => {
    const listed = LESSONS.flatMap((l) => ('file' in l.source ? [l.source.file] : []));
    for (const f of files)
      expect(
        listed.filter((x) => x === f),
        `scenarios/${f} has no lesson in src/scenario/lessons.ts`,
      ).toHaveLength(1);
    for (const f of listed) expect(files, `lessons.ts names scenarios/${f}, which does not exist`).toContain(f);
    expect(listed.length).toBe(files.length);
  });

  it('use each built-in scenario at most once', () => {
    const builtins = LESSONS.flatMap((l) => ('builtin' in l.source ? [l.source.builtin] : []));
    expect(new Set(builtins).size).toBe(builtins.length);
  });

  it('have unique names that sit in a URL fragment unescaped', () => {
    const names = LESSONS.map((l) => l.name);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) {
      expect(n).toMatch(LESSON_NAME);
      expect(encodeURIComponent(n)).toBe(n);
    }
    expect(LESSON_NAME.test('Bad name')).toBe(false);
    expect(LESSON_NAME.test('a&step=3')).toBe(false);
    expect(LESSON_NAME.test('-x')).toBe(false);
  });

  it('form one total order: next from the first reaches every lesson once and ends after the last', () => {
    const seen: string[] = [];
    for (let l = LESSONS[0]; l; l = nextLesson(l.name)) {
      expect(seen).not.toContain(l.name);
      seen.push(l.name);
    }
    expect(seen).toEqual(LESSONS.map((l) => l.name));
    expect(nextLesson(LESSONS[LESSONS.length - 1]!.name)).toBeUndefined();
    expect(nextLesson('no-such-lesson')).toBeUndefined();
    // The issue's sections in its order (others, such as TLBs, may come in between), none empty, ids unique.
    const ids = SECTIONS.map((s) => s.id);
    const issue = ['basics', 'cow', 'munmap', 'madvise', 'five-level', 'hugetlb', 'mshare-v1', 'msharefs', 'sga'];
    expect(ids.filter((id) => issue.includes(id))).toEqual(issue);
    expect(ids[0]).toBe('basics');
    expect(ids.at(-1)).toBe('sga');
    expect(new Set(ids).size).toBe(ids.length);
    for (const s of SECTIONS) expect(s.lessons.length).toBeGreaterThan(0);
    expect(sectionOf('mshare-v1-guest-fault')?.title).toBe('mshare v1 (2022, the seed)');
    expect(lessonByName('sga-1500-mshare')).toBe(LESSONS[LESSONS.length - 1]);
  });

  it('start at a first fault and end at the 1,500-client SGA', () => {
    expect(LESSONS[0]?.name).toBe('first-steps');
    expect(LESSONS.at(-1)?.source).toEqual({ file: 'sga-1500-mshare.ptx' });
  });

  it('each state a one-sentence goal, what the learner sees, what to know first and a plausible number of minutes', () => {
    for (const l of LESSONS) {
      expect(l.goal, l.name).toMatch(/^[A-Z].*[.!?]$/);
      // One sentence: no sentence end before the last character.
      expect(l.goal.slice(0, -1), l.name).not.toMatch(/[.!?]\s+[A-Z]/);
      expect(l.see.length, l.name).toBeGreaterThan(40);
      expect(l.know.length, l.name).toBeGreaterThan(5);
      expect(Number.isInteger(l.minutes) && l.minutes >= 2 && l.minutes <= 30, `${l.name}: ${l.minutes} minutes`).toBe(
        true,
      );
    }
  });

  it('name only files that load', () => {
    for (const l of LESSONS) {
      if (!('file' in l.source)) continue;
      const r = parseScenario(readFileSync(new URL(l.source.file, DIR), 'utf8'));
      expect(r.ok, l.source.file).toBe(true);
    }
  });
});
