import { describe, expect, it } from 'vitest';
import { memoryKV } from '../store/persist';
import { PENDING_KEY, rememberPendingLink, startFragment } from './pendingLink';

describe('a reload that left before the address bar caught up', () => {
  it('opens the fragment the bar should have held, once', () => {
    const s = memoryKV();
    rememberPendingLink(s, '#v3.old', '#v3.new');
    expect(startFragment(s, '#v3.old')).toBe('#v3.new');
    // Used up: a second start-up at the same URL opens it as it is.
    expect(s.data.has(PENDING_KEY)).toBe(false);
    expect(startFragment(s, '#v3.old')).toBe('#v3.old');
  });

  it('leaves any other URL alone (a link opened since), and forgets the record', () => {
    const s = memoryKV();
    rememberPendingLink(s, '#v3.old', '#v3.new');
    expect(startFragment(s, '#v3.someone-elses')).toBe('#v3.someone-elses');
    expect(s.data.has(PENDING_KEY)).toBe(false);
  });

  it('records nothing when the bar was up to date', () => {
    const s = memoryKV();
    rememberPendingLink(s, '#v3.old', '#v3.new');
    rememberPendingLink(s, '#v3.same', '#v3.same');
    expect(s.data.has(PENDING_KEY)).toBe(false);
    expect(startFragment(s, '#v3.old')).toBe('#v3.old');
  });

  it('a text too big for a link: no fragment, so the saved text opens', () => {
    const s = memoryKV();
    rememberPendingLink(s, '#v3.old', '');
    expect(startFragment(s, '#v3.old')).toBe('');
  });

  it('an unreadable record is ignored, never thrown', () => {
    for (const raw of ['{', 'null', '42', '{"from":1,"to":"#x"}', '{"from":"#a"}']) {
      const s = memoryKV({ [PENDING_KEY]: raw });
      expect(startFragment(s, '#a')).toBe('#a');
      expect(s.data.has(PENDING_KEY)).toBe(false);
    }
  });
});
