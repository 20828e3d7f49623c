// The result vocabulary of denial-of-existence proofs (shared by nsec.ts, nsec3.ts, denial.ts).

import { EdeCode } from '../dns/constants.ts';
import type { Ede } from './constants.ts';

export type Proof =
  | { status: 'secure' }
  | { status: 'insecure'; reason: string; ede?: Ede }
  | { status: 'bogus'; reason: string; ede: Ede };

/** For the DS walk: besides a proof, a name may turn out not to be a zone cut at all. */
export type DsProof = Proof | { status: 'no-cut' };

export const SECURE: Proof = { status: 'secure' };

export function proofBogus(reason: string, code: number = EdeCode.DNSSEC_BOGUS): Proof & { status: 'bogus' } {
  return { status: 'bogus', reason, ede: { code, text: reason } };
}

export function proofInsecure(reason: string, code?: number): Proof & { status: 'insecure' } {
  return code === undefined ? { status: 'insecure', reason } : { status: 'insecure', reason, ede: { code, text: reason } };
}
