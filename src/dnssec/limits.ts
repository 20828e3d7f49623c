// Work bounds for one validation (KeyTrap CVE-2023-50387, NSEC3 CVE-2023-50868) and their counters.
//
// Chosen after Unbound's post-KeyTrap limits (validator/val_sigcrypt.c MAX_VALIDATE_RRSIGS 8
// per RRset; validator.c MAX_VALIDATE_AT_ONCE 8 with at most MAX_VALIDATION_SUSPENDS 16;
// val_nsec3.h MAX_NSEC3_CALCULATIONS 8 per round). andns validates in one pass instead of
// suspending, so it takes per-validation totals: a normal answer three zones deep costs
// about 6 verifications and under 10 hashes, far below these.

export interface Limits {
  /** Signature verifications spent on one RRset (Unbound: 8). */
  maxVerificationsPerRRset: number;
  /** Signature verifications for one validateAnswer call, chain of trust included. */
  maxVerificationsPerValidation: number;
  /** DNSKEYs tried for one RRSIG whose key tag and algorithm they share (collisions). */
  maxKeysPerTag: number;
  /** NSEC3 hash computations (each of 1 + iterations SHA-1 rounds) per validation. */
  maxNsec3Hashes: number;
  /**
   * NSEC3 iterations above this make the proof insecure with EDE 27 (RFC 9276 §3.2). 150 is
   * what BIND and Unbound ("val-nsec3-keysize-iterations: 1024 150 ...") settled on; RFC 9276
   * itself asks signers for 0.
   */
  maxNsec3Iterations: number;
  /** Zone cuts walked below a trust anchor for one name (bounds DS/DNSKEY fetches). */
  maxChainDepth: number;
  /** Seconds of clock skew allowed around RRSIG inception and expiration. */
  clockSkew: number;
  /** Validate RSASHA1 (5, 7) signatures; false treats them as unsupported (insecure). */
  allowSha1Signatures: boolean;
  /** Smallest RSA modulus validated; smaller keys are unsupported (RFC 8624 §3.1: 1024). */
  minRsaBits: number;
  /** Accept SHA-1 DS digests (type 1) when no stronger digest is offered (RFC 4509 §3). */
  allowSha1Ds: boolean;
  /** Seconds a bogus key state is remembered, to avoid re-validating a storm (RFC 4035 §4.7). */
  bogusTtl: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxVerificationsPerRRset: 8,
  maxVerificationsPerValidation: 32,
  maxKeysPerTag: 4,
  maxNsec3Hashes: 64,
  maxNsec3Iterations: 150,
  maxChainDepth: 32,
  clockSkew: 300,
  allowSha1Signatures: true,
  minRsaBits: 1024,
  allowSha1Ds: true,
  bogusTtl: 60,
});

/** Thrown when a bound is hit; caught at the validator's edge and turned into a bogus verdict. */
export class LimitExceeded extends Error {
  constructor(what: string) {
    super(`validation limit reached: ${what}`);
    this.name = 'LimitExceeded';
  }
}

/** Counters for one validation. */
export class Budget {
  readonly limits: Limits;
  verifications = 0;
  hashes = 0;

  constructor(limits: Limits) {
    this.limits = limits;
  }

  spendVerification(): void {
    if (++this.verifications > this.limits.maxVerificationsPerValidation) {
      throw new LimitExceeded(`more than ${this.limits.maxVerificationsPerValidation} signature verifications`);
    }
  }

  spendHash(): void {
    if (++this.hashes > this.limits.maxNsec3Hashes) {
      throw new LimitExceeded(`more than ${this.limits.maxNsec3Hashes} NSEC3 hash computations`);
    }
  }
}
