// DNSSEC numbers (RFC 4034, 5155, 8914) and the outcome vocabulary shared by the validator's parts.

/** RR type numbers the validator reasons about. */
export const T = {
  NS: 2,
  CNAME: 5,
  SOA: 6,
  DNAME: 39,
  DS: 43,
  RRSIG: 46,
  NSEC: 47,
  DNSKEY: 48,
  NSEC3: 50,
} as const;

/** DNSSEC algorithm numbers (IANA "DNS Security Algorithm Numbers"). */
export const Alg = {
  RSASHA1: 5,
  RSASHA1_NSEC3_SHA1: 7,
  RSASHA256: 8,
  RSASHA512: 10,
  ECDSAP256SHA256: 13,
  ECDSAP384SHA384: 14,
  ED25519: 15,
  ED448: 16,
} as const;

/** DS digest types (IANA "Delegation Signer Digest Algorithms"). */
export const Digest = { SHA1: 1, SHA256: 2, SHA384: 4 } as const;

/** DNSKEY flag bits (RFC 4034 §2.1.1, RFC 5011 §7). */
export const KeyFlag = { ZONE: 0x0100, REVOKE: 0x0080, SEP: 0x0001 } as const;

/** NSEC3 hash algorithm and flags (RFC 5155 §3.1). */
export const NSEC3_SHA1 = 1;
export const NSEC3_OPT_OUT = 0x01;



export interface Ede {
  code: number;
  /** For the operator; names zones and reasons, never client data beyond the names involved. */
  text: string;
}

/** RFC 4033 §5 security states. "indeterminate": no trust anchor covers the name. */
export type SecurityStatus = 'secure' | 'insecure' | 'bogus' | 'indeterminate';
