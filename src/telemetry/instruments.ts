// Every metric instrument andns has, created once here (STYLE 11). Library code uses only
// @opentelemetry/api: a no-op until the composition root registers an SDK and exporter.
// Attributes stay low-cardinality: never a query name, only small fixed sets.

import { metrics } from '@opentelemetry/api';

const meter = metrics.getMeter('andns');

export const instruments = {
  /** Upstream exchanges sent, by outcome: reply | timeout | network | case-mismatch. */
  upstreamQueries: meter.createCounter('andns.resolver.upstream.queries', {
    description: 'Queries sent to authoritative servers or forwarders',
  }),
  /** Client queries ended by a work limit, by limit name (referrals, upstream-queries, …). */
  limitHits: meter.createCounter('andns.resolver.limit.hits', {
    description: 'Client queries that reached a per-query work limit and ended in SERVFAIL',
  }),
  /** Behaviour learnt about servers: edns-fallback | case-fallback | cookie-rejected | zone-failed. */
  serverEvents: meter.createCounter('andns.resolver.server.events', {
    description: 'Fallbacks and rejections towards upstream servers',
  }),
  /** DNSSEC judgements of answer steps, by outcome: secure | insecure | bogus | indeterminate | bogus-mark | aggressive-nsec. */
  validations: meter.createCounter('andns.resolver.dnssec.validations', {
    description: 'Answers judged by the DNSSEC validator, marks served and RFC 8198 synthesised denials',
  }),
  /** UDP responses held back by response-rate limiting, by action (dropped | slipped) and kind (answer | nodata | nxdomain | error). */
  rrlLimited: meter.createCounter('andns.policy.rrl.limited', {
    description: 'UDP responses over their response-rate limit: dropped, or sent small (slip: TC=1 or BADCOOKIE)',
  }),
  /** Client queries refused or dropped by a per-client limit, by limit: query-rate | in-flight. */
  clientLimited: meter.createCounter('andns.policy.client.limited', {
    description: 'Client queries over a per-client limit (UDP: dropped; streams: REFUSED)',
  }),
  /** Queries carrying a DNS cookie, by status: client-only | bad | valid | malformed | badcookie-sent. */
  cookies: meter.createCounter('andns.policy.cookies', {
    description: 'Client queries with a COOKIE option (RFC 7873), by what their server cookie proved',
  }),
};
