import { describe, expect, it } from 'vitest';
import { listParts } from './afterPaint';

describe('listParts', () => {
  it('splits a capped list into its first frame, the rest up to the cap, and all of it', () => {
    expect(listParts(12, 12, 200)).toEqual([{ key: 'first', from: 0, to: 12 }]);
    expect(listParts(200, 12, 200)).toEqual([
      { key: 'first', from: 0, to: 12 },
      { key: 'rest', from: 12, to: 200 },
    ]);
    expect(listParts(5000, 12, 200)).toEqual([
      { key: 'first', from: 0, to: 12 },
      { key: 'rest', from: 12, to: 200 },
      { key: 'all', from: 200, to: 5000 },
    ]);
  });

  it('has no empty part, and covers every drawn item once, in order', () => {
    expect(listParts(0, 12, 200)).toEqual([]);
    expect(listParts(5, 12, 200)).toEqual([{ key: 'first', from: 0, to: 5 }]);
    for (const drawn of [1, 11, 12, 13, 199, 200, 201, 777]) {
      const items = listParts(drawn, 12, 200).flatMap((p) =>
        Array.from({ length: p.to - p.from }, (_, k) => p.from + k),
      );
      expect(items).toEqual(Array.from({ length: drawn }, (_, i) => i));
    }
  });
});
