// Spans of resolutions and upstream queries, through @opentelemetry/api only. Until the
// composition root registers a tracer provider (tracing.enabled), these are a plain call:
// no span object, no closure beyond the caller's, so untraced processes pay nothing.

import { SpanKind, SpanStatusCode, type Attributes, type Span } from '@opentelemetry/api';
import { tracer } from './instruments.ts';

/** Set by the SDK set-up when spans are exported (operations/sdk.ts). */
export const tracing = { enabled: false };

/**
 * Runs `work` inside a span named `name`, child of the active one (a resolution's upstream
 * queries nest under it through the async context). `attributes` is only called when traced.
 * Qnames may appear here (traces are sampled, not aggregated), never in metric labels.
 */
export function traced<T>(name: string, kind: 'server' | 'client' | 'internal', attributes: () => Attributes, work: (span: Span | undefined) => Promise<T>): Promise<T> {
  if (!tracing.enabled) return work(undefined);
  const spanKind = kind === 'server' ? SpanKind.SERVER : kind === 'client' ? SpanKind.CLIENT : SpanKind.INTERNAL;
  return tracer.startActiveSpan(name, { kind: spanKind, attributes: attributes() }, async (span) => {
    try {
      return await work(span.isRecording() ? span : undefined);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      span.end();
    }
  });
}
