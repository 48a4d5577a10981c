/**
 * The tree's own stylesheet, inside the <svg> so an exported SVG carries it.
 *
 * Sizes are in layout units: the viewport (./treeViewport.ts) never scales
 * the drawing below minTextPx / TREE_MIN_FONT, so the smallest text here is
 * what decides how legible the tree is on a projector (issue 12: ≥ 9 CSS px
 * in the normal layout, ≥ 12 px in Present mode, at 1280×720).
 */

/** The smallest font size the tree uses, in layout units (px at scale 1). */
export const TREE_MIN_FONT = 11;

/** The tree's two families (the CSS variables' fallbacks below; no theme sets the variables). */
export const TREE_SANS = 'ui-sans-serif, system-ui, sans-serif';
export const TREE_MONO = 'ui-monospace, "DejaVu Sans Mono", monospace';

export const TREE_CSS = `
/* The next step's new nodes and ghosts, drawn ahead (treeDraw.ts, prepare()): laid out, never seen, never hit. */
.ptx-tree .node-ahead, .ptx-tree .ghost-ahead { visibility: hidden; }
.ptx-tree text { font-family: var(--tree-font, ${TREE_SANS}); fill: var(--tree-text); }
.ptx-tree .mono { font-family: var(--tree-mono, ${TREE_MONO}); font-size: 11px; }
.ptx-tree .col-label { font-size: 13px; font-weight: 700; fill: var(--tree-muted); letter-spacing: .06em; }
.ptx-tree .col-label.hover { fill: var(--tree-accent); }
.ptx-tree .role-label { font-size: 15px; font-weight: 700; fill: var(--tree-root); }
.ptx-tree .role-label.host { fill: var(--tree-shared); }
.ptx-tree .box { fill: var(--tree-node); stroke: var(--tree-border); stroke-width: 1.5; }
.ptx-tree .node[data-kind="data"] .box { fill: var(--tree-data); }
.ptx-tree .node[data-kind="summary"] .box { fill: var(--tree-summary); stroke-dasharray: 6 3; }
.ptx-tree .node.shared .box { stroke: var(--tree-shared); stroke-width: 3; }
.ptx-tree .node.root .box { stroke: var(--tree-root); stroke-width: 2.5; }
.ptx-tree .node.level-hover .box { stroke: var(--tree-accent); stroke-width: 3; }
.ptx-tree .node.trace-hit .box { stroke: var(--tree-accent); stroke-width: 4; }
.ptx-tree .node.selected .box { stroke: var(--tree-select); stroke-width: 3.5; }
.ptx-tree .title { font-size: 13px; font-weight: 700; }
.ptx-tree .sub { font-size: 11px; fill: var(--tree-muted); }
.ptx-tree .badge { pointer-events: none; }
.ptx-tree .badge rect { fill: var(--tree-shared); }
.ptx-tree .badge text { fill: var(--tree-badge-text); font-size: 11px; font-weight: 700; }
.ptx-tree .badge.new rect { fill: var(--tree-change, #15803d); }
.ptx-tree .header { cursor: pointer; }
.ptx-tree .header:focus, .ptx-tree .row:focus { outline: none; }
.ptx-tree .header:focus-visible .focus-ring { stroke: var(--tree-select); stroke-width: 2; fill: none; }
.ptx-tree .full-title { display: none; }
.ptx-tree .header:focus-visible .full-title { display: inline; }
.ptx-tree .full-title rect { fill: var(--tree-node); stroke: var(--tree-select); stroke-width: 2; }
.ptx-tree .row { cursor: pointer; }
.ptx-tree .row > rect { fill: transparent; }
.ptx-tree .row:hover > rect { fill: var(--tree-row-hover); }
.ptx-tree .row:focus-visible > rect { stroke: var(--tree-select); stroke-width: 2; }
.ptx-tree .row.changed > rect { fill: var(--tree-change-row, #dcfce7); stroke: var(--tree-change, #15803d); stroke-width: 1.5; }
.ptx-tree .row.selected > rect { fill: var(--tree-row-select); }
.ptx-tree .row.trace-hit > rect { stroke: var(--tree-accent); stroke-width: 2.5; }
.ptx-tree .row .flags { fill: var(--tree-muted); }
.ptx-tree .row.cleared > rect { fill: none; stroke: var(--tree-muted); stroke-dasharray: 5 3; }
.ptx-tree .row.cleared text { fill: var(--tree-muted); text-decoration: line-through; }
.ptx-tree .row .change { fill: var(--tree-change, #15803d); font-weight: 700; font-size: 12px; }
.ptx-tree .more { cursor: pointer; }
.ptx-tree .more text { fill: var(--tree-accent); font-size: 11px; }
.ptx-tree .open-summary text { fill: var(--tree-accent); font-size: 11px; font-weight: 700; }
.ptx-tree .edge { fill: none; stroke: var(--tree-edge); stroke-width: 1.5; }
.ptx-tree .edge.to-shared { stroke: var(--tree-shared); stroke-width: 2.5; }
.ptx-tree .ghost .box { fill: none; stroke: var(--tree-muted); stroke-dasharray: 7 4; stroke-width: 2; }
.ptx-tree .ghost text { fill: var(--tree-muted); }
.ptx-tree .ghost .title { text-decoration: line-through; }
.ptx-tree .ghost-more { font-size: 13px; font-weight: 700; fill: var(--tree-muted); }
/* The walk: on an ordinary edge it turns blue; on a shared edge the shared colour stays and the walk is an outline around it (.walk-halo, drawn under). */
.ptx-tree .walk .box, .ptx-tree .row.walk > rect, .ptx-tree .edge.walk, .ptx-tree .walk-halo.walk {
  animation: ptx-walk .45s ease-out both; animation-delay: calc(var(--walk-base, 0s) + var(--walk-i, 0) * .35s);
}
.ptx-tree .row.walk > rect { animation-name: ptx-walk-row; }
.ptx-tree .edge.walk, .ptx-tree .walk-halo.walk { animation-name: ptx-walk-edge; }
.ptx-tree .edge.to-shared.walk { animation-name: none; }
.ptx-tree.alt .walk .box { animation-name: ptx-walk-alt; }
.ptx-tree.alt .row.walk > rect { animation-name: ptx-walk-row-alt; }
.ptx-tree.alt .edge.walk, .ptx-tree.alt .walk-halo.walk { animation-name: ptx-walk-edge-alt; }
.ptx-tree.alt .edge.to-shared.walk { animation-name: none; }
.ptx-tree .walk-halo { fill: none; stroke: transparent; stroke-width: 9; }
.ptx-tree .edge.to-shared.walk, .ptx-tree .edge.to-shared.walk-static { stroke-width: 3.5; }
@keyframes ptx-walk { to { stroke: var(--tree-walk); stroke-width: 4; } }
@keyframes ptx-walk-alt { to { stroke: var(--tree-walk); stroke-width: 4; } }
.ptx-tree .walk-static .box { stroke: var(--tree-walk); stroke-width: 4; }
.ptx-tree .row.walk-static > rect { fill: var(--tree-walk-row); }
.ptx-tree .edge.walk-static:not(.to-shared), .ptx-tree .walk-halo.walk-static { stroke: var(--tree-walk); stroke-width: 3.5; }
.ptx-tree .walk-halo.walk-static { stroke-width: 9; }
@keyframes ptx-walk-row { to { fill: var(--tree-walk-row); } }
@keyframes ptx-walk-edge { to { stroke: var(--tree-walk); stroke-width: 3.5; } }
@keyframes ptx-walk-row-alt { to { fill: var(--tree-walk-row); } }
@keyframes ptx-walk-edge-alt { to { stroke: var(--tree-walk); stroke-width: 3.5; } }
.ptx-tree .walk-halo.walk { animation-name: ptx-halo; }
.ptx-tree.alt .walk-halo.walk { animation-name: ptx-halo-alt; }
@keyframes ptx-halo { to { stroke: var(--tree-walk); stroke-width: 9; } }
@keyframes ptx-halo-alt { to { stroke: var(--tree-walk); stroke-width: 9; } }
.ptx-tree .token > rect { fill: var(--tree-walk-row); stroke: var(--tree-walk); stroke-width: 2.5; }
.ptx-tree .token text { font-size: 14px; font-weight: 700; }
.ptx-tree .token-path { fill: none; stroke: var(--tree-walk); stroke-width: 2.5; stroke-dasharray: 6 5; }
@media (prefers-reduced-motion: reduce) {
  .ptx-tree .walk .box, .ptx-tree .row.walk > rect, .ptx-tree .edge.walk, .ptx-tree .walk-halo.walk { animation-duration: 1ms; animation-delay: 0s; }
}
`;
