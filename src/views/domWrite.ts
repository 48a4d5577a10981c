/**
 * Writes to the tree's DOM that happen only when the value differs: a
 * class or attribute written again, even the same, makes the browser
 * re-match styles for the element (attribute selectors) and everything in it.
 */
export function setAttr(el: Element, name: string, value: string | null): void {
  if (el.getAttribute(name) === value) return;
  if (value === null) el.removeAttribute(name);
  else el.setAttribute(name, value);
}

export function setClass(el: Element, name: string, on: boolean): void {
  if (el.classList.contains(name) !== on) el.classList.toggle(name, on);
}
