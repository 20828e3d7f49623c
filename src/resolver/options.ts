// The resolver's part of the configuration (config/ builds it; the resolver only reads it).

export interface ServerHint {
  /** NS name, canonical. */
  name: string;
  addresses: string[];
}

export interface ForwardZone {
  /** Zone apex, canonical ("." forwards everything). */
  zone: string;
  addresses: string[];
}

export interface WorkLimits {
  /** Referrals followed for one client query. */
  maxReferrals: number;
  /** CNAME/DNAME links followed for one client query. */
  maxCnameChain: number;
  /** Nesting depth of sub-queries (NS address lookups within NS address lookups). */
  maxSubqueryDepth: number;
  /** Sub-queries (for NS addresses) started for one client query. */
  maxSubqueries: number;
  /** Upstream queries sent for one client query, sub-queries included. */
  maxUpstreamQueries: number;
  /** NS names whose addresses are looked up per delegation (NXNSAttack). */
  maxNsLookupsPerDelegation: number;
  /** Upstream queries in flight to one zone's servers, across all client queries. */
  maxInflightPerZone: number;
  /** Wall time for one client query, in milliseconds. */
  maxQueryTimeMs: number;
  /** Timeout of one upstream exchange, in milliseconds. */
  upstreamTimeoutMs: number;
  /** Records one RRset of an upstream reply may hold (BIND's max-records-per-rrset, CVE-2024-1737). */
  maxRecordsPerRRset: number;
  /** Records (all sections, OPT aside) one upstream reply may hold. */
  maxRecordsPerReply: number;
  /** Upstream TCP connections open at once in this process (Unbound's outgoing-num-tcp). */
  maxUpstreamTcp: number;
}

export interface ResolverOptions {
  rootHints: ServerHint[];
  /** The port every upstream query goes to (53; tests point it at simulated servers). */
  upstreamPort: number;
  qnameMinimisation: boolean;
  /** The type of minimised queries: A (Unbound's choice, the default) or NS (Knot Resolver's); RFC 9156 §3 allows both. */
  qnameMinimisationType?: 'A' | 'NS';
  ipv6Upstream: boolean;
  /** Query servers over IPv4 (default true); false leaves IPv6 only. */
  ipv4Upstream?: boolean;
  /** Prime the root (RFC 8109) before the first query (default true); false asks the hints directly. */
  rootPriming?: boolean;
  /** Never query loopback addresses, even when allowLocalUpstream allows private ones (Unbound's do-not-query-localhost). */
  doNotQueryLocalhost?: boolean;
  /** Use glue only from inside the bailiwick of the zone asked (default true, Unbound's harden-glue). */
  hardenGlue?: boolean;
  /** Send queries to loopback/private/special-use addresses (the simulated internet needs it). */
  allowLocalUpstream?: boolean;
  forwardZones: ForwardZone[];
  limits: WorkLimits;
}

export const defaultLimits: WorkLimits = Object.freeze({
  maxReferrals: 30,
  maxCnameChain: 12,
  maxSubqueryDepth: 6,
  maxSubqueries: 40,
  maxUpstreamQueries: 120,
  maxNsLookupsPerDelegation: 6,
  maxInflightPerZone: 200,
  maxQueryTimeMs: 10_000,
  upstreamTimeoutMs: 1_200,
  maxRecordsPerRRset: 100,
  maxRecordsPerReply: 500,
  maxUpstreamTcp: 100,
});
