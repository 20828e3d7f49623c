// Registers the OpenTelemetry SDK for this process (the composition root's job, STYLE 11):
// a pull reader that /metrics collects on demand (Prometheus exporter, its own server off),
// optionally OTLP/HTTP push of metrics and sampled traces. Library code keeps using only
// @opentelemetry/api; bindInstruments() turns its instruments into the SDK's.

import { hostname } from 'node:os';
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader, type MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler, TracerProvider } from '@opentelemetry/sdk-trace';
import type { OperationsConfig } from '../config/load.ts';
import { bindInstruments } from '../telemetry/instruments.ts';
import { tracing } from '../telemetry/trace.ts';
import type { Logger } from '../util/log.ts';

export interface Telemetry {
  /** This process's metrics now (cumulative since it started). */
  collect(): Promise<ResourceMetrics>;
  /** Flushes OTLP exports and stops the readers. */
  shutdown(): Promise<void>;
}

let registered: Telemetry | undefined;

/**
 * Registers the SDK once per process (a second call returns the first: the API's globals
 * can be set only once). `role` names the process in the resource (primary, worker, single).
 */
export function startTelemetry(config: OperationsConfig, role: 'single' | 'primary' | 'worker', log: Logger): Telemetry {
  if (registered) return registered;
  const resource = resourceFromAttributes({
    'service.name': 'andns',
    'service.instance.id': `${hostname()}:${process.pid}`,
    'process.pid': process.pid,
    'andns.process.role': role,
  });
  // preventServerStart: /metrics is served by the operations listener, with /healthz and /readyz.
  const pull = new PrometheusExporter({ preventServerStart: true });
  const readers: MetricReader[] = [pull];
  const otlp = config.otlpEndpoint;
  if (otlp !== '') {
    readers.push(new PeriodicExportingMetricReader({
      exporter: new OTLPMetricExporter({ url: `${otlp}/v1/metrics` }),
      exportIntervalMillis: config.otlpIntervalMs,
      exportTimeoutMillis: Math.min(30_000, config.otlpIntervalMs),
    }));
  }
  const meterProvider = new MeterProvider({ resource, readers });
  metrics.setGlobalMeterProvider(meterProvider);
  bindInstruments();

  let tracerProvider: TracerProvider | undefined;
  if (otlp !== '') {
    // Spans only where they can go: with no exporter, tracing stays off and costs nothing.
    tracerProvider = new TracerProvider({
      resource,
      sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.traceSampleRatio) }),
      spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${otlp}/v1/traces` }) })],
    });
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(tracerProvider);
    tracing.enabled = config.traceSampleRatio > 0;
    log.info('telemetry: OTLP export', { endpoint: otlp, metricsIntervalMs: config.otlpIntervalMs, traceSampleRatio: config.traceSampleRatio });
  }

  registered = {
    async collect() {
      const { resourceMetrics, errors } = await pull.collect();
      if (errors.length > 0) log.warn('metrics collection errors', { errors: errors.map(String).slice(0, 3) });
      return resourceMetrics;
    },
    async shutdown() {
      tracing.enabled = false;
      await Promise.all([
        meterProvider.shutdown().catch((err: Error) => log.warn('metrics shutdown failed', { err: err.message })),
        tracerProvider?.shutdown().catch((err: Error) => log.warn('trace shutdown failed', { err: err.message })),
      ]);
    },
  };
  return registered;
}
