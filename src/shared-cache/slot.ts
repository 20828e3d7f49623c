// Redis Cluster's key → slot function (CRC16/XMODEM of the hash tag, mod 16384), as the
// cluster specification defines it, so reads can be grouped by node before they are sent.

const table = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let crc = i << 8;
  for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  table[i] = crc;
}

export function keySlot(key: string): number {
  // Only the hash tag is hashed, and it is usually ASCII: hash the string itself, no Buffer.
  let start = 0;
  let end = key.length;
  const open = key.indexOf('{');
  if (open !== -1) {
    const close = key.indexOf('}', open + 1);
    // An empty tag ("{}") does not count: the whole key is hashed.
    if (close > open + 1) {
      start = open + 1;
      end = close;
    }
  }
  let crc = 0;
  for (let i = start; i < end; i++) {
    const c = key.charCodeAt(i);
    if (c > 0x7f) return slotOfBytes(Buffer.from(key.slice(start, end), 'utf8'));
    crc = ((crc << 8) & 0xffff) ^ table[((crc >> 8) ^ c) & 0xff]!;
  }
  return crc & 0x3fff;
}

/** CRC16 of UTF-8 bytes (non-ASCII tags; "{" and "}" are ASCII, so the tag bounds agree). */
function slotOfBytes(bytes: Buffer): number {
  let crc = 0;
  for (let i = 0; i < bytes.length; i++) crc = ((crc << 8) & 0xffff) ^ table[((crc >> 8) ^ bytes[i]!) & 0xff]!;
  return crc & 0x3fff;
}
