// The composition root: builds the resolver stack from the frozen config, handing each module
// only its part (resolver options, cache options) and the real clock and sockets.

import { MemoryRecordCache } from '../cache/record-cache.ts';
import type { AndnsConfig, ValidationConfig } from '../config/load.ts';
import { parseTrustAnchors } from '../dnssec/anchors.ts';
import { Validator } from '../dnssec/validator.ts';
import { SocketTransport } from '../net/socket-transport.ts';
import { coalescing } from '../resolver/coalesce.ts';
import type { Resolve } from '../resolver/resolution.ts';
import { Resolver } from '../resolver/resolver.ts';
import { isSpecialUse } from '../resolver/special-use.ts';
import { HotAnswers } from '../server/hot-answers.ts';
import { createPipeline, type Pipeline } from '../server/pipeline.ts';
import { systemClock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';

/** The hot wire-answer tier; with only the embedded cache behind it, entries live their TTL. */
const HOT_TIER = { maxBytes: 64 * 1024 * 1024, maxAgeMs: 24 * 3_600_000 };

export interface Stack {
  pipeline: Pipeline;
  resolve: Resolve;
  /** Aborts upstream exchanges still in flight. */
  close(): void;
}

export function composeStack(config: AndnsConfig, log: Logger): Stack {
  const addresses = config.resolver.rootHints.flatMap((h) => h.addresses);
  if (!config.resolver.allowLocalUpstream && addresses.every(isSpecialUse)) {
    log.warn('every root hint address is loopback/private, and such upstreams are refused: set allowLocalUpstream (--allow-local-upstream)');
  }
  const transport = new SocketTransport();
  const cache = new MemoryRecordCache(config.cache, systemClock);
  const validator = config.validation ? makeValidator(config.validation) : undefined;
  const resolver = new Resolver({ transport, cache, clock: systemClock, options: config.resolver, log, ...(validator ? { validator } : {}) });
  // Coalescing wraps resolution (STYLE 8): a burst for one cold name resolves it once.
  const resolve = coalescing((q) => resolver.resolve(q));
  const hot = new HotAnswers(HOT_TIER, systemClock);
  return { pipeline: createPipeline({ resolve, log, hot }), resolve, close: () => transport.close() };
}

/** The DNSSEC validator: anchors as loaded (already checked), the wall clock in seconds. */
function makeValidator(v: ValidationConfig): Validator {
  return new Validator({
    trustAnchors: parseTrustAnchors(v.trustAnchors.join('\n')),
    negativeTrustAnchors: v.negativeTrustAnchors,
    now: () => systemClock.now() / 1000,
  });
}
