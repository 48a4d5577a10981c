/**
 * What the CLI prints that came from its input (a scenario's titles, notes,
 * comments, a decoded link) must never drive the terminal: an ESC starts
 * CSI/OSC sequences (ECMA-48 §5.4 and §8.3.89: `ESC ] 0 ; … BEL` sets the
 * window title, `ESC [ 2 J` clears the screen, OSC 8 writes hyperlinks),
 * and U+009B/U+009D are the 8-bit forms of CSI and OSC (§5.3), which some
 * terminals still honour in UTF-8. Bidi overrides and isolates (Unicode
 * UAX #9, U+202A–U+202E, U+2066–U+2069) reorder what the reader sees
 * ("Trojan Source", CVE-2021-42574). Each is shown as a visible escape.
 */

/**
 * C0 but tab, newline and the CR of a CRLF (so a decoded text keeps its line
 * ends), DEL, C1, bidi embeddings/overrides/isolates.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]|\r(?!\n)/g;

const hex = (c: string, width: number): string => c.charCodeAt(0).toString(16).toUpperCase().padStart(width, '0');

/** Text safe to write to a terminal: `\x1B`, `\u202E`, … in place of the characters that would act. */
export function escapeForTerminal(text: string): string {
  return text.replace(UNSAFE, (c) => (c.charCodeAt(0) < 0x100 ? `\\x${hex(c, 2)}` : `\\u${hex(c, 4)}`));
}

/**
 * JSON that is safe in a terminal: JSON.stringify already escapes C0
 * (RFC 8259 §7), but not DEL, C1 or bidi controls; those become \uXXXX,
 * which any JSON reader reads back as the same character.
 */
export function escapeJson(json: string): string {
  return json.replace(/[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${hex(c, 4).toLowerCase()}`);
}
