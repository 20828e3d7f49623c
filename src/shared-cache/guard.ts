// Rank coherence (RFC 2181 §5.4.1) as one rule with two bodies: TypeScript for the memory store
// and Lua for Redis, where the read-compare-write must be atomic. Both read the value header
// in place (codec.ts Offset), so the store needs no decoder.
//
// Why Lua and not WATCH/MULTI: WATCH state lives on a connection, and ioredis multiplexes every
// caller over one connection per node, so concurrent writers would see each other's WATCHes;
// a transaction also costs three round trips and retries under contention. A script on one key
// runs atomically in that key's slot, in one round trip (EVALSHA, cached by ioredis).

import { CODEC_VERSION, HEADER_BYTES, Kind, Offset } from './codec.ts';

/** The three header fields the rule reads. */
export interface RankedHeader {
  positive: boolean;
  rank: number;
  expiresAt: number;
}

/**
 * True when `existing` must stay instead of `incoming` at `nowMs`: it is unexpired and
 * outranks the newcomer, or it is positive data and the newcomer a negative answer of no
 * higher rank (a NODATA never hides an answer of the same trust).
 */
export function keeps(existing: RankedHeader, incoming: RankedHeader, nowMs: number): boolean {
  if (existing.expiresAt <= nowMs) return false;
  if (existing.rank > incoming.rank) return true;
  return !incoming.positive && existing.positive && existing.rank >= incoming.rank;
}

/** `keeps` on encoded values; an unreadable existing value never wins (garbage is overwritten). */
export function keepsExisting(existing: Buffer | null | undefined, incoming: Buffer, nowMs: number): boolean {
  if (!existing || existing.length < HEADER_BYTES || existing[Offset.version] !== CODEC_VERSION) return false;
  return keeps(header(existing), header(incoming), nowMs);
}

function header(buf: Buffer): RankedHeader {
  return { positive: buf[Offset.kind] === Kind.rrset, rank: buf[Offset.rank]!, expiresAt: buf.readUIntBE(Offset.expiresAt, 6) };
}

/**
 * KEYS[1] the key; ARGV: value, PXAT time (expiry + stale window), caller's now (ms).
 * Returns nil when stored, or the existing value that was kept. Byte offsets are 1-based in Lua.
 */
export const SET_RANKED_LUA = `
local old = redis.call('GET', KEYS[1])
local new = ARGV[1]
if old and #old >= ${HEADER_BYTES} and string.byte(old, ${Offset.version + 1}) == ${CODEC_VERSION} then
  local exp = 0
  for i = ${Offset.expiresAt + 1}, ${Offset.expiresAt + 6} do exp = exp * 256 + string.byte(old, i) end
  if exp > tonumber(ARGV[3]) then
    local oldRank, newRank = string.byte(old, ${Offset.rank + 1}), string.byte(new, ${Offset.rank + 1})
    if oldRank > newRank then return old end
    if string.byte(new, ${Offset.kind + 1}) ~= ${Kind.rrset} and string.byte(old, ${Offset.kind + 1}) == ${Kind.rrset} and oldRank >= newRank then
      return old
    end
  end
end
redis.call('SET', KEYS[1], new, 'PXAT', ARGV[2])
return false
`;

/** KEYS[1] the lease key; ARGV[1] the holder's token. Deletes only our own lease. */
export const RELEASE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;
