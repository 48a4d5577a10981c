/**
 * Export the tree as a standalone SVG (its stylesheet inside, the theme's
 * CSS variables resolved to colours) and as a PNG drawn from that SVG.
 */
import { TREE_CSS, withWholeTree } from '../views/treeView';

const PNG_MAX_SIDE = 8000;

function resolvedVariables(el: Element): string {
  const names = new Set(TREE_CSS.match(/--tree-[a-z-]+/g) ?? []);
  names.add('--tree-bg');
  const cs = getComputedStyle(el);
  return [...names].map((n) => `${n}: ${cs.getPropertyValue(n).trim() || 'initial'};`).join(' ');
}

/** The whole tree (not just what is scrolled into view) as SVG text, with its size. */
export function svgMarkup(svg: SVGSVGElement): { markup: string; width: number; height: number } {
  return withWholeTree(svg, () => markupOf(svg));
}

function markupOf(svg: SVGSVGElement): { markup: string; width: number; height: number } {
  const viewport = svg.querySelector<SVGGElement>('g.viewport');
  const box = viewport?.getBBox() ?? { x: 0, y: 0, width: 100, height: 100 };
  const pad = 16;
  const x = Math.floor(box.x - pad);
  const y = Math.floor(box.y - pad);
  const width = Math.ceil(box.width + 2 * pad);
  const height = Math.ceil(box.height + 2 * pad);
  const clone = svg.cloneNode(true) as SVGSVGElement;
  clone.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  clone.setAttribute('viewBox', `${x} ${y} ${width} ${height}`);
  clone.setAttribute('width', String(width));
  clone.setAttribute('height', String(height));
  clone.removeAttribute('style');
  clone.removeAttribute('data-testid');
  clone.querySelector('g.viewport')?.removeAttribute('transform');
  clone.querySelector('g.anim')?.remove();
  for (const el of clone.querySelectorAll('[tabindex]')) el.removeAttribute('tabindex');
  // Animations end where they were going: exported walks are lit.
  for (const el of clone.querySelectorAll('.walk')) {
    el.classList.remove('walk');
    el.classList.add('walk-static');
  }
  const style = clone.querySelector('style');
  const vars = `.ptx-tree { ${resolvedVariables(svg)} }`;
  if (style) style.textContent = vars + '\n' + (style.textContent ?? '');
  const bg = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
  bg.setAttribute('x', String(x));
  bg.setAttribute('y', String(y));
  bg.setAttribute('width', String(width));
  bg.setAttribute('height', String(height));
  bg.setAttribute('fill', getComputedStyle(svg).getPropertyValue('--tree-bg').trim() || '#ffffff');
  clone.insertBefore(bg, clone.querySelector('g.viewport'));
  const markup = '<?xml version="1.0" encoding="UTF-8"?>\n' + new XMLSerializer().serializeToString(clone);
  return { markup, width, height };
}

export function download(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function exportSvg(svg: SVGSVGElement, filename: string): void {
  const { markup } = svgMarkup(svg);
  download(new Blob([markup], { type: 'image/svg+xml' }), filename);
}

export async function exportPng(svg: SVGSVGElement, filename: string): Promise<void> {
  const { markup, width, height } = svgMarkup(svg);
  const scale = Math.min(2, PNG_MAX_SIDE / Math.max(width, height));
  const url = URL.createObjectURL(new Blob([markup], { type: 'image/svg+xml' }));
  try {
    const img = new Image();
    img.decoding = 'async';
    await new Promise<void>((resolve, reject) => {
      img.onload = () => resolve();
      img.onerror = () => reject(new Error('the SVG could not be drawn'));
      img.src = url;
    });
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(width * scale));
    canvas.height = Math.max(1, Math.round(height * scale));
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2D canvas');
    ctx.scale(scale, scale);
    ctx.drawImage(img, 0, 0, width, height);
    const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
    if (!blob) throw new Error('the PNG could not be made');
    download(blob, filename);
  } finally {
    URL.revokeObjectURL(url);
  }
}
