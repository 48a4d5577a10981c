/**
 * What a node of the tree draws inside its <g>, as SVG markup: its box, its
 * header (title, subtitle, the "shared" badge), one row per listed entry
 * and the "+N more" line. Pure: no DOM.
 *
 * The tree view parses the markup of every node a step changed in one go
 * (src/views/treeView.ts): building the same elements one by one through
 * d3 (createElementNS, then each attribute) took ~25 µs an element, ~8 ms
 * of a step that adds a dozen tables (profiled on mshare-v1-guest-exit).
 * The markup is also the node's signature: the same markup, the same
 * drawing, and the node is left alone.
 *
 * Clicks and keys are handled by one listener on the node layer, which
 * reads what was hit from the classes and data attributes written here:
 * `.header` (select the node, or open a summary), `.row[data-index]`
 * (select the entry; focusable, ↑/↓ move between a table's rows),
 * `.more[role=button]` (list all entries, or fewer).
 *
 * Nothing numeric is ever clipped: a label too long for its box is cut at a
 * word and given whole as a tooltip (<title>) and, for a focused header, as
 * a box drawn over it (.full-title, shown by :focus-within).
 */
import { groupDigits } from '../core/events';
import { flagNames } from '../core/paging';
import type { RowChange } from './treeChanges';
import { GEOMETRY as G, type Layout, type LayoutNode } from './treeLayout';

/** What a step changed in one node, and how its tree is labelled (see ./treeChanges.ts). */
export interface NodeMarks {
  /** Entry index → its change at this step. */
  rows?: ReadonlyMap<number, RowChange>;
  /** Allocated at this step. */
  added?: boolean;
  /** For a root: its tree's label by role ("B (guest)", "host mm (sga)"). */
  role?: string;
}

const hex = (n: number): string => '0x' + n.toString(16);

/** Text and attribute values as markup: the five characters XML reserves. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;',
  );
}

export function levelWord(level: string): string {
  return level === 'data' ? 'page' : level.toUpperCase();
}

function shortFlags(flags: number): string {
  return flagNames(flags)
    .filter((f) => f.set)
    .map((f) => f.name)
    .join(' ');
}

/** An mm's label as the tree writes it: an mshare host ("mshare:sga") as "host sga". */
export function mmWord(label: string): string {
  return label.startsWith('mshare:') ? `host ${label.slice(7)}` : label;
}

function titleOf(n: LayoutNode): string {
  const i = n.info;
  if (i.kind === 'data')
    return i.id === 'zero'
      ? 'zero page'
      : i.owner.startsWith('anon')
        ? 'anon page'
        : i.owner.startsWith('shmem')
          ? 'shmem page'
          : 'page';
  if (i.kind === 'summary') return `${levelWord(i.level)} pages`;
  const who = n.rootOf ?? i.owner;
  return who ? `${levelWord(i.level)} · ${mmWord(who)}` : levelWord(i.level);
}

/** Cut a label to about `px` pixels of text at `charPx` per character. */
function clip(text: string, px: number, charPx: number): string {
  const max = Math.max(4, Math.floor(px / charPx));
  return text.length <= max ? text : text.slice(0, max - 1) + '…';
}

/** Average advance of the tree's fonts, per character, in layout px (11 px mono ≈ 0.6 em). */
const MONO_PX = 6.7;
const SUB_PX = 6.3;
const TITLE_PX = 7.8;

/** The subtitle, shortened rather than clipped: its numbers must be read whole. */
function subtitleOf(n: LayoutNode, room: number): string {
  const i = n.info;
  if (i.kind === 'data') return `pfn ${hex(i.pfn)}`;
  if (i.kind === 'summary') return clip(`owner ${mmWord(i.owner || '?')}`, room, SUB_PX);
  const long = `pfn ${hex(i.pfn)} · ${groupDigits(i.present)} entr${i.present === 1 ? 'y' : 'ies'}`;
  return long.length * SUB_PX <= room ? long : `pfn ${hex(i.pfn)} · ${groupDigits(i.present)}`;
}

export function ariaLabelOf(n: LayoutNode): string {
  const i = n.info;
  if (i.kind === 'summary') return `Summary node: ${i.summary?.text ?? ''}. Press Enter to open it.`;
  const shared = n.shared ? `, shared: ${i.parents.length} entries point to it` : '';
  if (i.kind === 'data') return `${titleOf(n)}, pfn ${hex(i.pfn)}${shared}`;
  const root = n.rootOf !== undefined ? ` of ${n.rootOf}` : '';
  const rows = n.rows.length ? '. Press the down arrow for its entries' : '';
  return `${levelWord(i.level)} page${root}, pfn ${hex(i.pfn)}, ${i.present} present entries${i.owner ? `, allocated by ${i.owner}` : ''}${shared}${rows}`;
}

/** Wrap a summary's text into lines of about `width` characters. */
function wrap(text: string, width: number, maxLines: number): string[] {
  const words = text.split(' ');
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line && (line + ' ' + w).length > width) {
      lines.push(line);
      line = w;
    } else line = line ? line + ' ' + w : w;
  }
  if (line) lines.push(line);
  if (lines.length > maxLines) {
    const kept = lines.slice(0, maxLines);
    kept[maxLines - 1] = (kept[maxLines - 1] as string).replace(/.{0,1}$/, '…');
    return kept;
  }
  return lines;
}

/** The markup of node n's inside (opened: the table lists all its entries; marks: what this step changed in it). */
export function nodeMarkup(n: LayoutNode, layout: Layout, opened: boolean, marks: NodeMarks = {}): string {
  const i = n.info;
  let s = `<rect class="box" width="${n.w}" height="${n.h}" rx="6"/>`;
  if (marks.role)
    s += `<text class="role-label${i.owner.startsWith('mshare:') || (n.rootOf ?? '').startsWith('mshare:') ? ' host' : ''}" x="2" y="-9">${esc(marks.role)}</text>`;
  const headerH = i.kind === 'table' ? G.headerHeight : n.h;
  s += `<g class="header" role="button" tabindex="0" aria-label="${esc(ariaLabelOf(n))}">`;
  s += `<rect width="${n.w}" height="${headerH}" fill="transparent" rx="6"/>`;
  s += `<rect class="focus-ring" x="2" y="2" width="${n.w - 4}" height="${headerH - 4}" rx="5" fill="none"/>`;
  const badgeText = n.shared ? `shared ×${i.parents.length}` : marks.added ? 'new' : '';
  const bw = badgeText ? 10 + badgeText.length * 6.6 : 0;
  const title = titleOf(n);
  const shown = clip(title, n.w - 16 - (bw ? bw + 6 : 0), TITLE_PX);
  // A clipped title is there whole as the tooltip.
  s += `<text class="title" x="8" y="17">${esc(shown)}${shown !== title ? `<title>${esc(title)}</title>` : ''}</text>`;
  s += `<text class="sub" x="8" y="33">${esc(subtitleOf(n, n.w - 16))}</text>`;
  if (i.kind === 'summary') {
    wrap(i.summary?.text ?? '', 28, 2).forEach(
      (line, k) => (s += `<text class="sub" x="8" y="${49 + k * 13}">${esc(line)}</text>`),
    );
    s += `<g class="open-summary"><text x="${n.w - 8}" y="${n.h - 6}" text-anchor="end">open ▸</text></g>`;
  }
  if (shown !== title) {
    // Drawn over the header while it has the keyboard focus (CSS), so the whole title is read there too.
    const fw = Math.max(n.w, 16 + title.length * TITLE_PX);
    s += `<g class="full-title"><rect y="-2" width="${fw}" height="26" rx="5"/><text class="title" x="8" y="17">${esc(title)}</text></g>`;
  }
  s += '</g>';
  if (badgeText) {
    s += `<g class="badge${n.shared ? '' : ' new'}" transform="translate(${n.w - bw - 6},6)"><rect width="${bw}" height="17" rx="8"/><text x="${bw / 2}" y="12.5" text-anchor="middle">${esc(badgeText)}</text></g>`;
  }
  for (const row of n.rows) {
    const run = layout.byId.get(row.entry.target)?.info.summary?.entries;
    const idxText = run && run > 1 ? `[${row.index}…${row.index + run - 1}]` : `[${row.index}]`;
    const flagsX = Math.max(48, 14 + idxText.length * MONO_PX);
    const pfnText = hex(row.entry.pfn);
    const room = n.w - 8 - pfnText.length * MONO_PX - 6 - flagsX;
    const change = marks.rows?.get(row.index);
    const words = `entry ${row.index}: ${row.entry.value}, maps ${row.entry.from}–${row.entry.to}${change ? `; changed at this step: ${change.full}` : ''}`;
    // One <text> for the row, its three columns as <tspan>s that each
    // start a text chunk at their own x (SVG 2, Text, "text chunks";
    // text-anchor applies per chunk): a third of the text layouts per row.
    s += `<g class="row${change ? ' changed' : ''}" data-index="${row.index}" transform="translate(0,${row.y})" role="button" tabindex="-1" aria-label="${esc(`${levelWord(i.level)} ${words}`)}">`;
    s += `<rect x="3" width="${n.w - 6}" height="${row.h}" rx="3"/>`;
    s += `<text class="mono" y="14"><tspan x="8">${esc(idxText)}</tspan><tspan class="flags" x="${flagsX}">${esc(clip(shortFlags(row.entry.flags), room, MONO_PX))}</tspan><tspan x="${n.w - 8}" text-anchor="end">${esc(pfnText)}</tspan></text>`;
    if (change && row.h > G.rowHeight)
      s += `<text class="mono change" x="12" y="${G.rowHeight + 14}">${esc(clip(change.short, n.w - 20, MONO_PX))}</text>`;
    s += `<title>${esc(words)}</title></g>`;
  }
  for (const c of n.clearedRows ?? []) {
    const change = marks.rows?.get(c.index);
    const words = `entry ${c.index} cleared at this step${change ? `: ${change.full}` : ''}`;
    s += `<g class="row cleared" data-index="${c.index}" transform="translate(0,${c.y})" role="button" tabindex="-1" aria-label="${esc(`${levelWord(i.level)} ${words}`)}">`;
    s += `<rect x="3" width="${n.w - 6}" height="${G.rowHeight}" rx="3"/>`;
    s += `<text class="mono" y="14"><tspan x="8">${esc(`[${c.index}]`)}</tspan><tspan x="48">${esc(clip(change ? `cleared: ${change.fn}` : 'cleared', n.w - 56, MONO_PX))}</tspan></text>`;
    s += `<title>${esc(words)}</title></g>`;
  }
  const lastCleared = n.clearedRows?.[n.clearedRows.length - 1];
  if (lastCleared && n.clearedMore) {
    const label = `+${groupDigits(n.clearedMore)} more cleared at this step`;
    s += `<g class="row cleared-more" transform="translate(0,${lastCleared.y + G.rowHeight})"><text class="sub" x="8" y="14">${esc(clip(label, n.w - 16, SUB_PX))}</text></g>`;
  }
  if (n.more > 0 || opened) {
    const last = n.rows[n.rows.length - 1];
    const moreY = lastCleared
      ? lastCleared.y + G.rowHeight * (n.clearedMore ? 2 : 1)
      : last
        ? last.y + last.h
        : G.headerHeight;
    const canOpen = n.hidden > 0;
    const label = canOpen ? `+${n.more} more: show all` : opened ? 'show fewer' : `+${n.more} more (not listed)`;
    const button =
      canOpen || opened
        ? ` role="button" tabindex="0" aria-label="${canOpen ? 'Show all' : 'Show fewer'} entries of this ${levelWord(i.level)} page"`
        : '';
    s += `<g class="more" transform="translate(0,${moreY})"${button}><rect width="${n.w}" height="${G.rowHeight}" fill="transparent"/><text x="8" y="14">${esc(label)}</text></g>`;
  }
  return s;
}

/** A freed table, drawn for the step that freed it: a dashed outline labelled with the function. */
export function ghostMarkup(g: { level: string; pfn: number; mm: string; fn: string }, w: number): string {
  const label = `${levelWord(g.level)} · ${mmWord(g.mm)}`;
  const fn = `freed by ${g.fn}`;
  return (
    `<rect class="box" width="${w}" height="${G.headerHeight + 16}" rx="6"/>` +
    `<text class="title" x="8" y="17">${esc(clip(label, w - 16, TITLE_PX))}<title>${esc(`${label}, pfn ${hex(g.pfn)}, freed at this step by ${g.fn}`)}</title></text>` +
    `<text class="sub" x="8" y="33">pfn ${esc(hex(g.pfn))}</text>` +
    `<text class="sub" x="8" y="49">${esc(clip(fn, w - 16, SUB_PX))}</text>`
  );
}
