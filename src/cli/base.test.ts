/**
 * `ptx url`'s site (issue 16, "a site a class can open"): --base, else
 * PTX_BASE, else the dev server, so links printed for a course point at the
 * course's site.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { linkBase } from './commands';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('ptx url: the base of its links', () => {
  it('takes --base first, then PTX_BASE, then the dev server', () => {
    expect(linkBase('https://a.example/x/', { PTX_BASE: 'https://b.example/y/' })).toBe('https://a.example/x/');
    expect(linkBase(undefined, { PTX_BASE: 'https://b.example/y/' })).toBe('https://b.example/y/');
    expect(linkBase(undefined, { PTX_BASE: '  ' })).toBe('http://localhost:5173/');
    expect(linkBase(undefined, {})).toBe('http://localhost:5173/');
  });
  it('prints a link to the PTX_BASE site', { timeout: 60_000 }, () => {
    const r = spawnSync(process.execPath, ['bin/ptx.js', 'url', 'scenarios/madvise-reclaim.ptx', '--step', '2'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, PTX_BASE: 'https://course.example.edu/explorer/' },
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^https:\/\/course\.example\.edu\/explorer\/#v3=.*&step=2\n$/);
  });
});
