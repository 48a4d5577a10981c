/**
 * Share links: a scenario's text (and the step being looked at) in a URL
 * fragment, so that sharing needs no server and the text never reaches one.
 *
 *   v3 (current)  #v3=<base64url(deflate-raw(UTF-8 text))>.<check>[&step=N]
 *   v2 (older)    #v2=<base64url(deflate-raw(UTF-8 text))>[&step=N]
 *   v1 (older)    #v1=<base64url(UTF-8 text)>[&step=N]
 *
 * Any version may end in `&event=K` after its step (issue 14): the moment
 * after the K-th event of that step (1-based, as the step panel's "event K
 * of n"). It is outside v3's check, as `present=1` is: a link made with it
 * opens at its step in an app from before it (which ignores keys it does not
 * know), and a wrong K opens another moment of the same step, never another
 * scenario. withEvent() adds it; readLink() reads it.
 *
 * v3's <check> is the base64url of the CRC-32 (ISO-HDLC, as zlib and PNG,
 * big-endian) of the deflated bytes followed by the ASCII `&step=N` when
 * there is a step. A link that a chat tool, a mail client or a typo changed
 * no longer decodes into another scenario: it says it was changed or cut.
 * Over the deflated bytes, because a CRC-32 catches every error burst of at
 * most 32 bits (Peterson & Brown 1961), and one base64 character is 6 bits:
 * any one changed character of the data is caught, not merely most.
 * The '.' before the check is not base64, so a v3 link relabelled v1 or v2
 * fails too, and a link cut anywhere lacks or shortens its check.
 *
 * Decoding goes in two stages, as Excalidraw's restore does: readLink turns
 * whatever was pasted into a RawLink (version + payload + step, still in the
 * shape of its own version), then restoreLink brings any version's RawLink
 * to today's LinkData. Old versions keep a decoder for ever, so old links
 * keep working. Nothing here throws on bad input: each problem is a message.
 */

import { Inflate, deflateSync } from 'fflate';

export const LINK_VERSION = 3;
/** The parser's limit on a scenario, so an unpacked link never exceeds it. */
export const MAX_LINK_TEXT_BYTES = 1 << 20;
/** Base64 of 1 MiB that does not compress, with room: longer is no link of ours. */
const MAX_LINK_CHARS = 1_500_000;

export interface LinkData {
  text: string;
  /** The step shown when the link was made: 1-based as in reports, 0 = before the first step. */
  step?: number;
  /** Inside that step: how many of its events were done (1-based); absent: the whole step. */
  event?: number;
  /** The format version the link was written in. */
  version: number;
}
export type DecodedLink = ({ ok: true } & LinkData) | { ok: false; message: string };

/** A link taken apart but not yet decoded: the shape of its own version. */
export interface RawLink {
  version: number;
  payload: string;
  step?: number;
  event?: number;
}

/**
 * A link fragment (as linkEncoder() gives it) at the moment after `event` events of its step; null or no step:
 * unchanged.
 */
export function withEvent(fragment: string, event: number | null | undefined): string {
  if (event === null || event === undefined || !/&step=[0-9]+$/.test(fragment)) return fragment;
  if (!(Number.isSafeInteger(event) && event >= 1))
    throw new RangeError(`a link's event is a whole number ≥ 1, not ${event}`);
  return `${fragment}&event=${event}`;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < 64; i++) B64_INDEX[B64.charCodeAt(i)] = i;
// Also read the standard alphabet: some tools rewrite base64url into it.
B64_INDEX[43] = 62; // +
B64_INDEX[47] = 63; // /

export function base64urlEncode(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + B64[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += B64[n >> 18]! + B64[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]!;
  }
  return out;
}

/** base64url (or standard base64), padding optional; undefined if not base64. */
export function base64urlDecode(s: string): Uint8Array | undefined {
  const body = s.replace(/=+$/, '');
  if (body.length % 4 === 1) return undefined; // no length of bytes gives this: a cut-off link
  const out = new Uint8Array(Math.floor((body.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    const v = c < 128 ? B64_INDEX[c]! : -1;
    if (v < 0) return undefined;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (ISO-HDLC: reflected 0xEDB88320, init and final xor 0xFFFFFFFF), continuing from `crc`. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** v3's check: base64url of the big-endian CRC-32 of the deflated bytes (`dataCrc`, their crc32()) and the step. */
function linkCheck(dataCrc: number, step: number | undefined): string {
  let crc = dataCrc;
  if (step !== undefined) crc = crc32(new TextEncoder().encode(`&step=${step}`), crc);
  return base64urlEncode(new Uint8Array([crc >>> 24, (crc >>> 16) & 0xff, (crc >>> 8) & 0xff, crc & 0xff]));
}

function checkStep(step: number | undefined): void {
  if (step !== undefined && !(Number.isSafeInteger(step) && step >= 0)) {
    throw new RangeError(`a link's step is a whole number ≥ 0, not ${step}`);
  }
}

/**
 * encodeLink() in two halves: the text is deflated (the costly part) once,
 * and the returned function gives its fragment at any step cheaply, since
 * v3's check covers the step (the address bar follows every step).
 * Throws RangeError as encodeLink does.
 */
export function linkEncoder(text: string): (step?: number) => string {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length > MAX_LINK_TEXT_BYTES)
    throw new RangeError(`the scenario is ${bytes.length} bytes; a link holds at most 1 MiB`);
  const deflated = deflateSync(bytes, { level: 9 });
  const data = base64urlEncode(deflated);
  const dataCrc = crc32(deflated);
  return (step) => {
    checkStep(step);
    return `#v${LINK_VERSION}=${data}.${linkCheck(dataCrc, step)}` + (step === undefined ? '' : `&step=${step}`);
  };
}

/**
 * The fragment for a scenario, with its leading '#'. Throws RangeError only
 * for a caller's mistake: a step that is not a whole number ≥ 0, or a text
 * over 1 MiB (which parseScenario refuses anyway). A lone UTF-16 surrogate
 * cannot be UTF-8 and becomes U+FFFD.
 */
export function encodeLink(text: string, step?: number): string {
  checkStep(step);
  return linkEncoder(text)(step);
}

/** `base` (any fragment of it dropped) followed by the scenario's fragment. */
export function makeLink(base: string, text: string, step?: number): string {
  const hash = base.indexOf('#');
  return (hash < 0 ? base : base.slice(0, hash)) + encodeLink(text, step);
}

type Result<T> = { ok: true; value: T } | { ok: false; message: string };

/** Inflates at most `limit` bytes: a zip bomb stops as soon as it passes the limit. */
function inflateLimited(data: Uint8Array, limit: number): Result<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  let ended = false;
  const inf = new Inflate((chunk, final) => {
    total += chunk.length;
    if (total <= limit) chunks.push(chunk);
    if (final) ended = true;
  });
  try {
    // Small pushes bound what one push can expand to (deflate peaks near 1032:1).
    const STEP = 1024;
    for (let i = 0; i < data.length && total <= limit; i += STEP) {
      inf.push(data.subarray(i, i + STEP), i + STEP >= data.length);
    }
    if (data.length === 0) inf.push(data, true);
  } catch {
    return {
      ok: false,
      message: "the link's data is damaged and cannot be unpacked; it may have been cut off when it was copied",
    };
  }
  if (total > limit)
    return {
      ok: false,
      message: 'the link unpacks to more than 1 MiB, larger than any scenario; it is not a link of ours',
    };
  if (!ended)
    return { ok: false, message: "the link's data ends too early; it may have been cut off when it was copied" };
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return { ok: true, value: out };
}

function utf8(bytes: Uint8Array): Result<string> {
  if (bytes.length > MAX_LINK_TEXT_BYTES)
    return { ok: false, message: 'the link holds more than 1 MiB, larger than any scenario' };
  try {
    // ignoreBOM: keep a leading U+FEFF, so any text comes back exactly.
    return { ok: true, value: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes) };
  } catch {
    return { ok: false, message: "the link's data is not UTF-8 text; it may be damaged" };
  }
}

function bytesOf(payload: string): Result<Uint8Array> {
  const bytes = base64urlDecode(payload);
  if (!bytes) {
    return {
      ok: false,
      message:
        "the link's data is not valid base64url (letters, digits, - and _); it may have been cut off or changed when it was copied",
    };
  }
  return { ok: true, value: bytes };
}

export const CHANGED_OR_CUT =
  'this link was changed or cut after it was made (its check does not match); copy the whole link again from where it came';

/** One decoder per version ever written, from payload (and step) to text. Never remove one. */
const DECODERS: Record<number, (payload: string, step: number | undefined) => Result<string>> = {
  1: (payload) => {
    const b = bytesOf(payload);
    return b.ok ? utf8(b.value) : b;
  },
  2: (payload) => {
    const b = bytesOf(payload);
    if (!b.ok) return b;
    const inflated = inflateLimited(b.value, MAX_LINK_TEXT_BYTES);
    return inflated.ok ? utf8(inflated.value) : inflated;
  },
  3: (payload, step) => {
    const dot = payload.lastIndexOf('.');
    if (dot < 0) return { ok: false, message: CHANGED_OR_CUT };
    const data = base64urlDecode(payload.slice(0, dot));
    if (!data || payload.slice(dot + 1).replace(/=+$/, '') !== linkCheck(crc32(data), step))
      return { ok: false, message: CHANGED_OR_CUT };
    const inflated = inflateLimited(data, MAX_LINK_TEXT_BYTES);
    return inflated.ok ? utf8(inflated.value) : inflated;
  },
};

/** Brings a RawLink of any known version to today's LinkData. */
export function restoreLink(raw: RawLink): DecodedLink {
  const decode = DECODERS[raw.version];
  if (!decode) {
    if (raw.version > LINK_VERSION) {
      return {
        ok: false,
        message: `this link was made by a newer Page Table Explorer (format v${raw.version}); this one reads formats v1 to v${LINK_VERSION}`,
      };
    }
    return { ok: false, message: `unknown link format v${raw.version}; known formats are v1 to v${LINK_VERSION}` };
  }
  if (raw.payload === '')
    return { ok: false, message: 'this link holds an empty scenario, so there is nothing to open' };
  const text = decode(raw.payload, raw.step);
  if (!text.ok) return text;
  const data: LinkData = { text: text.value, version: raw.version };
  if (raw.step !== undefined) data.step = raw.step;
  if (raw.step !== undefined && raw.event !== undefined) data.event = raw.event;
  return { ok: true, ...data };
}

const NO_SCENARIO = `this link holds no scenario: expected a part like #v${LINK_VERSION}=… after the address`;

/**
 * Takes apart a full link, a fragment with or without '#', or a bare payload
 * (read as the current version).
 */
export function readLink(input: string): Result<RawLink> {
  if (typeof input !== 'string') return { ok: false, message: 'a link is text' };
  if (input.length > MAX_LINK_CHARS)
    return { ok: false, message: 'the link is too long to hold a scenario (over 1 MiB)' };
  let s = input.trim();
  if (s === '') return { ok: false, message: 'the link is empty' };
  const hash = s.indexOf('#');
  if (hash >= 0) s = s.slice(hash + 1);
  else if (/^[a-z][a-z0-9+.-]*:/i.test(s) || (s.includes('/') && /[?.]/.test(s)))
    return { ok: false, message: NO_SCENARIO };
  if (s === '') return { ok: false, message: NO_SCENARIO };
  if (s.includes('%')) {
    try {
      s = decodeURIComponent(s);
    } catch {
      return { ok: false, message: 'the link has a broken %-escape; it may have been cut off when it was copied' };
    }
  }
  let raw: RawLink | undefined;
  let step: number | undefined;
  let event: number | undefined;
  const parts = s.split('&');
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? '' : part.slice(eq + 1);
    const v = /^v([0-9]{1,6})$/.exec(key);
    if (v && eq >= 0 && !raw) raw = { version: Number(v[1]), payload: value };
    // `&step=` with nothing after it is a link cut there: no step (a v3 link's check then fails and says so).
    else if (key === 'step' && eq >= 0 && value !== '') {
      if (!/^[0-9]{1,15}$/.test(value))
        return { ok: false, message: `the step in the link must be a whole number, not "${value.slice(0, 20)}"` };
      step = Number(value);
    } else if (key === 'event' && /^[1-9][0-9]{0,8}$/.test(value)) {
      // Anything else after `event=` (cut, or typed wrong) opens the whole step: it is not part of the check.
      event = Number(value);
    } else if (i === 0 && eq < 0 && part !== '') {
      // A bare payload: today's version, or v2's (which has no '.' and check).
      raw = { version: part.includes('.') ? LINK_VERSION : 2, payload: part };
    }
    // Other keys are ignored: later versions may add some.
  }
  if (!raw) return { ok: false, message: NO_SCENARIO };
  if (step !== undefined) raw.step = step;
  if (event !== undefined) raw.event = event;
  return { ok: true, value: raw };
}

/** Decodes a share link, fragment or payload. Never throws. */
export function decodeLink(linkOrFragment: string): DecodedLink {
  try {
    const raw = readLink(linkOrFragment);
    return raw.ok ? restoreLink(raw.value) : raw;
  } catch (e) {
    return { ok: false, message: `the link could not be read (${String(e)})` };
  }
}
