// DNS server cookies (RFC 7873) in the interoperable format of RFC 9018: finding the COOKIE
// option in a query, checking its server cookie, and making the one the reply carries. The
// secret is shared by every front-end, so any of them accepts a cookie another one issued.

import { HEADER_SIZE } from '../dns/wire.ts';
import { siphash24 } from './siphash.ts';

export const OPT_COOKIE = 10;
/** Extended RCODE BADCOOKIE (RFC 7873 §8). */
export const RCODE_BADCOOKIE = 23;
const TYPE_OPT = 41;
const CLIENT_COOKIE = 8;
/** RFC 9018 §4: version 1, 3 reserved octets, a 32-bit timestamp, a 64-bit hash. */
const SERVER_COOKIE = 16;
const VERSION = 1;
/** RFC 9018 §4.3: a cookie is good for an hour, and up to 5 minutes ahead (clock skew). */
const MAX_AGE_S = 3600;
const MAX_AHEAD_S = 300;
export const SECRET_BYTES = 16;

/** What a query's COOKIE option says about its sender (RFC 7873 §5.2). */
export const CookieStatus = {
  /** No COOKIE option (§5.2.1). */
  NONE: 0,
  /** An option of a length §5.2.2 answers with FORMERR. */
  MALFORMED: 1,
  /** A client cookie alone (§5.2.3). */
  CLIENT_ONLY: 2,
  /** A server cookie we did not make, or one too old (§5.2.4). */
  BAD: 3,
  /** A server cookie we made, for this client address, recently (§5.2.5). */
  VALID: 4,
} as const;
export type CookieStatusCode = (typeof CookieStatus)[keyof typeof CookieStatus];

/** Where the first COOKIE option's data lies in the last message located (module scratch). */
let foundAt = 0;
let foundLength = 0;

/**
 * Finds the COOKIE option of a query whose question ends at `questionEnd`, without allocating.
 * RFC 7873 §5.2.2: an option shorter than 8 octets, between 9 and 15, or longer than 40 is
 * malformed. Only the first COOKIE option counts. Structural damage elsewhere is left to the
 * message parser: it reads as no cookie.
 */
export function locateCookie(message: Buffer, questionEnd: number): CookieStatusCode {
  const records = message.readUInt16BE(6) + message.readUInt16BE(8) + message.readUInt16BE(10);
  let pos = questionEnd;
  for (let r = 0; r < records; r++) {
    const nameEnd = skipName(message, pos);
    if (nameEnd < 0 || nameEnd + 10 > message.length) return CookieStatus.NONE;
    const type = message.readUInt16BE(nameEnd);
    const rdEnd = nameEnd + 10 + message.readUInt16BE(nameEnd + 8);
    if (rdEnd > message.length) return CookieStatus.NONE;
    if (type === TYPE_OPT) {
      for (let p = nameEnd + 10; p + 4 <= rdEnd; ) {
        const code = message.readUInt16BE(p);
        const length = message.readUInt16BE(p + 2);
        if (p + 4 + length > rdEnd) return CookieStatus.NONE;
        if (code === OPT_COOKIE) {
          foundAt = p + 4;
          foundLength = length;
          const ok = length === CLIENT_COOKIE || (length >= CLIENT_COOKIE + 8 && length <= CLIENT_COOKIE + 32);
          return ok ? CookieStatus.CLIENT_ONLY : CookieStatus.MALFORMED;
        }
        p += 4 + length;
      }
      return CookieStatus.NONE;
    }
    pos = rdEnd;
  }
  return CookieStatus.NONE;
}

/** The offset after the name at `pos`, or -1 when it runs past the message. */
function skipName(buf: Buffer, pos: number): number {
  for (let hops = 0; hops < 128; hops++) {
    if (pos >= buf.length) return -1;
    const len = buf[pos]!;
    if (len === 0) return pos + 1;
    if ((len & 0xc0) === 0xc0) return pos + 2 <= buf.length ? pos + 2 : -1;
    if ((len & 0xc0) !== 0) return -1;
    pos += len + 1;
  }
  return -1;
}

/** The server's secrets: the current one makes cookies; the previous one still verifies them (rotation). */
export interface CookieSecrets {
  current: Uint8Array;
  previous: Uint8Array | undefined;
}

/** RFC 1982 serial arithmetic on 32-bit timestamps: `now − stamp` in seconds, signed. */
function ageOf(stamp: number, now: number): number {
  return ((now - stamp) | 0);
}

export class ServerCookies {
  private readonly secrets: CookieSecrets;
  /** Hash input: client cookie | version | reserved | timestamp | client address (RFC 9018 §4.4). */
  private readonly input = new Uint8Array(CLIENT_COOKIE + 8 + 16);
  private readonly digest = new Uint8Array(8);
  /** The COOKIE option for the reply to the last query inspected: code, length, data. */
  readonly option = Buffer.alloc(4 + CLIENT_COOKIE + SERVER_COOKIE);

  constructor(secrets: CookieSecrets) {
    for (const s of [secrets.current, secrets.previous]) {
      if (s && s.length !== SECRET_BYTES) throw new Error(`a cookie secret has ${SECRET_BYTES} bytes, not ${s.length}`);
    }
    this.secrets = secrets;
  }

  /**
   * Judges the COOKIE option of `message` from the client at (`family`, `words`) (as
   * parseAddress left them) at `nowSeconds`. Unless the status is NONE or MALFORMED,
   * `option` then holds the COOKIE option to send back: the client cookie and a fresh server
   * cookie (RFC 7873 §5.2.3–5.2.5, RFC 9018 §4.3).
   */
  inspect(message: Buffer, questionEnd: number, family: 4 | 6, words: Uint32Array, nowSeconds: number): CookieStatusCode {
    const found = locateCookie(message, questionEnd);
    if (found !== CookieStatus.CLIENT_ONLY) return found;
    const at = foundAt;
    const serverLength = foundLength - CLIENT_COOKIE;
    const addressLength = this.fillAddress(family, words);
    let status: CookieStatusCode = CookieStatus.CLIENT_ONLY;
    if (serverLength > 0) {
      status = CookieStatus.BAD;
      if (serverLength === SERVER_COOKIE && message[at + CLIENT_COOKIE] === VERSION) {
        const stamp = message.readUInt32BE(at + CLIENT_COOKIE + 4);
        const age = ageOf(stamp, nowSeconds >>> 0);
        if (age <= MAX_AGE_S && age >= -MAX_AHEAD_S) {
          // The reserved octets the client sent are hashed as sent (RFC 9018 §4.4, Appendix A.3).
          message.copy(this.input, 0, at, at + CLIENT_COOKIE + 8);
          if (this.hashMatches(message, at + CLIENT_COOKIE + 8, this.secrets.current, addressLength)) status = CookieStatus.VALID;
          else if (this.secrets.previous && this.hashMatches(message, at + CLIENT_COOKIE + 8, this.secrets.previous, addressLength)) status = CookieStatus.VALID;
        }
      }
    }
    this.option.writeUInt16BE(OPT_COOKIE, 0);
    this.option.writeUInt16BE(CLIENT_COOKIE + SERVER_COOKIE, 2);
    message.copy(this.option, 4, at, at + CLIENT_COOKIE);
    this.makeServerCookie(nowSeconds, addressLength);
    return status;
  }

  /** Writes a server cookie for the client cookie in `option` at `nowSeconds` into `option`. */
  private makeServerCookie(nowSeconds: number, addressLength: number): void {
    const o = this.option;
    o[12] = VERSION;
    o[13] = o[14] = o[15] = 0;
    o.writeUInt32BE(nowSeconds >>> 0, 16);
    o.copy(this.input, 0, 4, 20);
    siphash24(this.secrets.current, this.input, CLIENT_COOKIE + 8 + addressLength, o, 20);
  }

  private hashMatches(message: Buffer, hashAt: number, secret: Uint8Array, addressLength: number): boolean {
    siphash24(secret, this.input, CLIENT_COOKIE + 8 + addressLength, this.digest, 0);
    let diff = 0;
    for (let i = 0; i < 8; i++) diff |= this.digest[i]! ^ message[hashAt + i]!;
    return diff === 0;
  }

  /** Puts the client address after the 16 cookie bytes of the hash input; returns its length. */
  private fillAddress(family: 4 | 6, words: Uint32Array): number {
    const base = CLIENT_COOKIE + 8;
    const count = family === 4 ? 1 : 4;
    for (let k = 0; k < count; k++) {
      const w = words[k]!;
      this.input[base + 4 * k] = w >>> 24;
      this.input[base + 4 * k + 1] = (w >>> 16) & 0xff;
      this.input[base + 4 * k + 2] = (w >>> 8) & 0xff;
      this.input[base + 4 * k + 3] = w & 0xff;
    }
    return 4 * count;
  }
}

/** A query's question ends where a name at offset 12 and its type and class do. */
export function questionEndOf(message: Buffer): number {
  const end = skipName(message, HEADER_SIZE);
  return end < 0 ? -1 : end + 4;
}

/** Reads a secret written as 32 hex digits; undefined when it is not one. */
export function parseSecret(text: string): Uint8Array | undefined {
  const t = text.trim();
  if (!/^[0-9a-fA-F]{32}$/.test(t)) return undefined;
  return new Uint8Array(Buffer.from(t, 'hex'));
}
