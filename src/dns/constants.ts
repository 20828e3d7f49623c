// Numeric DNS protocol constants used across andns (RFC 1035, 6891, 8914).

export const Rcode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
} as const;

export const Opcode = { QUERY: 0 } as const;

export const QClass = { IN: 1, CH: 3, ANY: 255 } as const;

// Header flag bits in the second 16-bit word (RFC 1035 §4.1.1, RFC 4035 §3.2).
export const Flag = {
  QR: 0x8000,
  AA: 0x0400,
  TC: 0x0200,
  RD: 0x0100,
  RA: 0x0080,
  AD: 0x0020,
  CD: 0x0010,
} as const;

/** EDNS0 "DNSSEC OK" bit in the OPT record's flags (RFC 3225). */
export const EDNS_DO = 0x8000;

/** DNS Flag Day 2020: the EDNS buffer size that avoids IP fragmentation. */
export const EDNS_UDP_SIZE = 1232;

/** Largest message without EDNS over UDP (RFC 1035 §4.2.1). */
export const CLASSIC_UDP_SIZE = 512;

export const OPT_CODE_EDE = 15;

/** Extended DNS Error info codes (RFC 8914 §4) that andns emits: the one registry. */
export const EdeCode = {
  OTHER: 0,
  UNSUPPORTED_DNSKEY_ALGORITHM: 1,
  UNSUPPORTED_DS_DIGEST: 2,
  STALE_ANSWER: 3,
  DNSSEC_INDETERMINATE: 5,
  DNSSEC_BOGUS: 6,
  SIGNATURE_EXPIRED: 7,
  SIGNATURE_NOT_YET_VALID: 8,
  DNSKEY_MISSING: 9,
  RRSIGS_MISSING: 10,
  NO_ZONE_KEY_BIT: 11,
  NSEC_MISSING: 12,
  CACHED_ERROR: 13,
  NOT_READY: 14,
  BLOCKED: 15,
  PROHIBITED: 18,
  NOT_SUPPORTED: 21,
  NO_REACHABLE_AUTHORITY: 22,
  NETWORK_ERROR: 23,
  INVALID_DATA: 24,
  UNSUPPORTED_NSEC3_ITERATIONS: 27,
} as const;
