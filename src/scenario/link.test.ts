import fc from 'fast-check';
import { deflateSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { SPEC_EXAMPLE } from './arbitrary';
import {
  LINK_VERSION,
  base64urlDecode,
  base64urlEncode,
  crc32,
  decodeLink,
  encodeLink,
  makeLink,
  readLink,
  restoreLink,
  withEvent,
} from './link';

const utf8 = (s: string) => new TextEncoder().encode(s);
const message = (input: string) => {
  const r = decodeLink(input);
  if (r.ok) throw new Error('decoded');
  return r.message;
};

/** A v1 link as the older format wrote it: plain base64url of the UTF-8 text. */
/** A v2 link as the previous format wrote it: deflated, no check. */
const v2Link = (text: string, step?: number) =>
  '#v2=' + base64urlEncode(deflateSync(utf8(text), { level: 9 })) + (step === undefined ? '' : `&step=${step}`);

const V1_EXAMPLE = '#v1=c3Bhd24gQQpBOiBtbWFwIDFUIDJNIHJ3IHByaXZhdGUgYW5vbgpBOiB3cml0ZSAxVCAiaGkiCg&step=2';

describe('base64url', () => {
  it('encodes without padding in the URL-safe alphabet', () => {
    expect(base64urlEncode(utf8(''))).toBe('');
    expect(base64urlEncode(utf8('f'))).toBe('Zg');
    expect(base64urlEncode(utf8('fo'))).toBe('Zm8');
    expect(base64urlEncode(utf8('foo'))).toBe('Zm9v');
    expect(base64urlEncode(new Uint8Array([0xfb, 0xff]))).toBe('-_8');
  });
  it('decodes base64url and standard base64, padding optional', () => {
    expect(base64urlDecode('-_8')).toEqual(new Uint8Array([0xfb, 0xff]));
    expect(base64urlDecode('+/8=')).toEqual(new Uint8Array([0xfb, 0xff]));
    expect(base64urlDecode('Zg==')).toEqual(utf8('f'));
    expect(base64urlDecode('Z')).toBeUndefined(); // a length no bytes give
    expect(base64urlDecode('Zm9v!')).toBeUndefined();
    expect(base64urlDecode('Zé')).toBeUndefined();
  });
  it('round-trips any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        expect(base64urlDecode(base64urlEncode(b))).toEqual(b);
      }),
    );
  });
});

describe('encodeLink / makeLink', () => {
  it('writes #v3=<deflated base64url>.<check> and the step', () => {
    const f = encodeLink(SPEC_EXAMPLE, 5);
    expect(f).toMatch(/^#v3=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{6}&step=5$/);
    expect(f.length).toBeLessThan(SPEC_EXAMPLE.length); // compressed
    expect(encodeLink('spawn A')).toMatch(/^#v3=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{6}$/);
  });
  it("the check is the CRC-32 of the deflated bytes, then of '&step=N'", () => {
    // The CRC-32 check value of the catalogue of parametrised CRCs (CRC-32/ISO-HDLC).
    expect(crc32(utf8('123456789'))).toBe(0xcbf43926);
    expect(crc32(utf8('6789'), crc32(utf8('12345')))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    // The check by hand for "x" with and without a step.
    const deflated = deflateSync(utf8('x'), { level: 9 });
    const be = (n: number) => base64urlEncode(new Uint8Array([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]));
    expect(encodeLink('x')).toBe(`#v3=${base64urlEncode(deflated)}.${be(crc32(deflated))}`);
    const both = new Uint8Array([...deflated, ...utf8('&step=7')]);
    expect(encodeLink('x', 7)).toBe(`#v3=${base64urlEncode(deflated)}.${be(crc32(both))}&step=7`);
  });
  it('appends to a base, dropping any fragment it had', () => {
    expect(makeLink('https://example.org/ptx/', 'spawn A', 0)).toBe(
      'https://example.org/ptx/' + encodeLink('spawn A', 0),
    );
    expect(makeLink('https://example.org/ptx/#v2=old', 'x')).toBe('https://example.org/ptx/' + encodeLink('x'));
  });
  it('refuses a step that is not a whole number ≥ 0, and text over 1 MiB', () => {
    expect(() => encodeLink('x', -1)).toThrow(RangeError);
    expect(() => encodeLink('x', 1.5)).toThrow(RangeError);
    expect(() => encodeLink('x', NaN)).toThrow(RangeError);
    expect(() => encodeLink('x'.repeat((1 << 20) + 1))).toThrow(/at most 1 MiB/);
  });
});

describe('decodeLink', () => {
  it('accepts a full URL, a fragment with or without #, or the bare payload', () => {
    const f = encodeLink(SPEC_EXAMPLE, 3);
    const expected = { ok: true, text: SPEC_EXAMPLE, step: 3, version: 3 };
    expect(decodeLink('https://example.org/ptx/?x=1' + f)).toEqual(expected);
    expect(decodeLink(f)).toEqual(expected);
    expect(decodeLink(f.slice(1))).toEqual(expected);
    expect(decodeLink(`  ${f}\n`)).toEqual(expected);
    const payload = encodeLink(SPEC_EXAMPLE).slice('#v3='.length);
    expect(decodeLink(payload)).toEqual({ ok: true, text: SPEC_EXAMPLE, version: 3 });
    // A bare v2 payload (no check) still reads as v2.
    expect(decodeLink(v2Link(SPEC_EXAMPLE).slice('#v2='.length))).toEqual({ ok: true, text: SPEC_EXAMPLE, version: 2 });
  });
  it('keeps decoding v2 links, which have no check', () => {
    expect(decodeLink('https://example.org/ptx/' + v2Link(SPEC_EXAMPLE, 4))).toEqual({
      ok: true,
      text: SPEC_EXAMPLE,
      step: 4,
      version: 2,
    });
  });
  it('keeps decoding old v1 links', () => {
    expect(decodeLink(V1_EXAMPLE)).toEqual({
      ok: true,
      text: 'spawn A\nA: mmap 1T 2M rw private anon\nA: write 1T "hi"\n',
      step: 2,
      version: 1,
    });
    expect(decodeLink('https://example.org/#v1=' + base64urlEncode(utf8(SPEC_EXAMPLE)))).toEqual({
      ok: true,
      text: SPEC_EXAMPLE,
      version: 1,
    });
  });
  it('restoreLink brings any known version to today’s shape', () => {
    expect(restoreLink({ version: 1, payload: base64urlEncode(utf8('spawn A')), step: 0 })).toEqual({
      ok: true,
      text: 'spawn A',
      step: 0,
      version: 1,
    });
    const v2 = v2Link('spawn A').slice(4);
    expect(restoreLink({ version: 2, payload: v2 })).toEqual({ ok: true, text: 'spawn A', version: 2 });
    const v3 = encodeLink('spawn A', 1).slice(4, -'&step=1'.length);
    expect(restoreLink({ version: 3, payload: v3, step: 1 })).toEqual({
      ok: true,
      text: 'spawn A',
      step: 1,
      version: 3,
    });
    // The step is part of what the check covers.
    expect(restoreLink({ version: 3, payload: v3, step: 2 })).toMatchObject({
      ok: false,
      message: expect.stringContaining('changed or cut'),
    });
  });
  it('ignores unknown parameters and percent-escapes', () => {
    expect(decodeLink(encodeLink('x', 1) + '&theme=dark')).toEqual({ ok: true, text: 'x', step: 1, version: 3 });
    expect(decodeLink(encodeLink('x').replace('=', '%3D'))).toMatchObject({ ok: true, text: 'x' });
  });
  it('explains every kind of bad link', () => {
    expect(message('')).toMatch(/empty/);
    expect(message('https://example.org/ptx/')).toMatch(/holds no scenario/);
    expect(message('https://example.org/ptx/#')).toMatch(/holds no scenario/);
    expect(message('#theme=dark')).toMatch(/holds no scenario/);
    expect(message('#v2=')).toMatch(/empty scenario/);
    expect(message('#v1=&step=2')).toMatch(/empty scenario/);
    expect(message('#&3=abc&step=2')).toMatch(/holds no scenario/);
    expect(message('#v4=abc')).toMatch(/newer Page Table Explorer \(format v4\)/);
    expect(message('#v3=abc')).toMatch(/^this link was changed or cut/);
    expect(message('#v3=abc.AAAAAA')).toMatch(/^this link was changed or cut/);
    expect(message('#v0=abc')).toMatch(/unknown link format v0/);
    expect(message('#v2=a*b')).toMatch(/not valid base64url/);
    expect(message('#v2=Z')).toMatch(/not valid base64url.*cut off/);
    expect(message('#v2=AAAA')).toMatch(/damaged|ends too early/);
    expect(message('#v1=_w')).toMatch(/not UTF-8/);
    expect(message('#v2=' + base64urlEncode(deflateSync(new Uint8Array([0xff, 0xfe]))))).toMatch(/not UTF-8/);
    expect(message(encodeLink('x') + '&step=-1')).toMatch(/step .* whole number/);
    expect(message(encodeLink('x') + '&step=two')).toMatch(/step .* whole number/);
    expect(message('#v2=abc%')).toMatch(/broken %-escape/);
    expect(message('#' + 'A'.repeat(2_000_000))).toMatch(/too long/);
  });
  it('a truncated link says it was changed or cut, wherever it was cut', () => {
    const f = encodeLink(SPEC_EXAMPLE, 12);
    for (let cut = 5; cut < f.length; cut++) {
      expect(message(f.slice(0, cut)), `cut at ${cut}`).toMatch(/^this link was changed or cut/);
    }
    const v2 = v2Link(SPEC_EXAMPLE);
    for (const cut of [10, 40, v2.length - 3])
      expect(message(v2.slice(0, cut)), `v2 cut at ${cut}`).toMatch(/cut off|damaged|base64url/);
  });
  it('stops a zip bomb at 1 MiB without unpacking it all', () => {
    const bomb = '#v2=' + base64urlEncode(deflateSync(new Uint8Array(64 << 20)));
    expect(message(bomb)).toMatch(/more than 1 MiB/);
    const v1big = '#v1=' + base64urlEncode(new Uint8Array((1 << 20) + 1).fill(65));
    expect(message(v1big)).toMatch(/more than 1 MiB/);
  });
  it('decodes exactly 1 MiB', () => {
    const text = 'a'.repeat(1 << 20);
    expect(decodeLink(encodeLink(text))).toMatchObject({ ok: true, text });
  });
  it('readLink takes a link apart without decoding it', () => {
    expect(readLink('https://x/#v1=abc&step=7')).toEqual({ ok: true, value: { version: 1, payload: 'abc', step: 7 } });
  });
});

describe('properties', () => {
  const textArb = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme', maxLength: 200 }));
  it('decode(encode(text, step)) gives text and step back', () => {
    fc.assert(
      fc.property(textArb, fc.option(fc.nat(), { nil: undefined }), fc.boolean(), (text, step, asUrl) => {
        const link = asUrl ? makeLink('https://example.org/ptx/index.html?a=b', text, step) : encodeLink(text, step);
        const expected = step === undefined ? { ok: true, text, version: 3 } : { ok: true, text, step, version: 3 };
        expect(decodeLink(link)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
  it('an old v1 link of any text decodes (but the empty one, which holds no scenario)', () => {
    fc.assert(
      fc.property(
        textArb.filter((t) => t !== ''),
        fc.nat(),
        (text, step) => {
          expect(decodeLink(`#v1=${base64urlEncode(utf8(text))}&step=${step}`)).toEqual({
            ok: true,
            text,
            step,
            version: 1,
          });
        },
      ),
    );
  });
  it('decode never throws, whatever it is given', () => {
    const check = (s: string) => {
      const r = decodeLink(s);
      expect(typeof r.ok).toBe('boolean');
      if (!r.ok) expect(r.message.length).toBeGreaterThan(0);
    };
    fc.assert(fc.property(fc.string(), check), { numRuns: 500 });
    fc.assert(fc.property(fc.string({ unit: 'binary' }), check), { numRuns: 300 });
    fc.assert(
      fc.property(
        fc.string().map((s) => '#v2=' + s),
        check,
      ),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(
        fc.uint8Array().map((b) => '#v2=' + base64urlEncode(b)),
        check,
      ),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(
        fc.uint8Array().map((b) => '#v1=' + base64urlEncode(b)),
        check,
      ),
      { numRuns: 300 },
    );
    // Damaged real links: one character changed or dropped.
    const good = encodeLink(SPEC_EXAMPLE, 4);
    fc.assert(
      fc.property(fc.nat(good.length - 1), fc.constantFrom('', 'A', '_', '%', '&', '='), (i, c) =>
        check(good.slice(0, i) + c + good.slice(i + 1)),
      ),
      { numRuns: 300 },
    );
  });
});

describe('&event=k (issue 14)', () => {
  const text = 'spawn A\nspawn B\n';
  it('is read with its step, ignored without one, and a cut or bad event opens the whole step', () => {
    const base = encodeLink(text, 2);
    expect(decodeLink(withEvent(base, 3))).toMatchObject({ ok: true, text, step: 2, event: 3 });
    expect(decodeLink(base + '&event=')).toEqual(decodeLink(base));
    expect(decodeLink(base + '&event=x')).toEqual(decodeLink(base));
    expect(decodeLink(base + '&event=0')).toEqual(decodeLink(base));
    // The check covers the text and the step, not the event: an old app, which ignores the key, opens the step.
    expect(decodeLink(encodeLink(text) + '&event=2')).not.toHaveProperty('event');
    // Old formats keep opening, with the event too.
    const v1 = '#v1=' + base64urlEncode(new TextEncoder().encode(text)) + '&step=1&event=1';
    expect(decodeLink(v1)).toMatchObject({ ok: true, text, step: 1, event: 1, version: 1 });
  });
  it('withEvent leaves a fragment without a step alone and refuses a nonsense event', () => {
    expect(withEvent(encodeLink(text), 2)).toBe(encodeLink(text));
    expect(withEvent(encodeLink(text, 1), null)).toBe(encodeLink(text, 1));
    expect(() => withEvent(encodeLink(text, 1), 0)).toThrow(RangeError);
    expect(() => withEvent(encodeLink(text, 1), 1.5)).toThrow(RangeError);
  });
});

describe('the version check: a link of a format this build does not know never opens', () => {
  it("a good v3 payload labelled with any later version is refused as newer, not read as today's format", () => {
    const payload = encodeLink(SPEC_EXAMPLE, 2)
      .slice('#v3='.length)
      .replace(/&step=2$/, '');
    expect(restoreLink({ version: 3, payload, step: 2 })).toMatchObject({ ok: true, text: SPEC_EXAMPLE });
    for (const v of [LINK_VERSION + 1, LINK_VERSION + 2, 999999]) {
      const r = restoreLink({ version: v, payload, step: 2 });
      expect(r).toEqual({
        ok: false,
        message: `this link was made by a newer Page Table Explorer (format v${v}); this one reads formats v1 to v${LINK_VERSION}`,
      });
      expect(decodeLink(`#v${v}=${payload}&step=2`)).toEqual(r);
    }
  });
});
