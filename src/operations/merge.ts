// One machine's metrics from several processes (--workers): the primary collects each
// worker's figures over IPC and adds them up series by series, so one scrape shows the whole
// machine. Counters and histograms add; gauges add too (bytes, connections, RSS, and for
// the breaker the number of processes in each state).

import { DataPointType, type MetricData, type ResourceMetrics, type ScopeMetrics } from '@opentelemetry/sdk-metrics';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import type { Attributes } from '@opentelemetry/api';
import { emptyResource } from '@opentelemetry/resources';

/** Plain data that crosses IPC (a Resource has methods; scope metrics are JSON). */
export type MetricsSnapshot = ScopeMetrics[];

export function snapshotOf(resourceMetrics: ResourceMetrics): MetricsSnapshot {
  return resourceMetrics.scopeMetrics;
}

type Point = MetricData['dataPoints'][number];

function seriesKey(attributes: Attributes): string {
  return JSON.stringify(Object.keys(attributes).sort().map((k) => [k, attributes[k]]));
}

/** Adds `from` into `into` (same series); histograms need the same bucket boundaries. */
function addPoint(type: DataPointType, into: Point, from: Point): void {
  if (type === DataPointType.HISTOGRAM) {
    const a = into.value as { buckets: { boundaries: number[]; counts: number[] }; sum?: number; count: number; min?: number; max?: number };
    const b = from.value as typeof a;
    if (a.buckets.boundaries.join() !== b.buckets.boundaries.join()) return; // cannot happen: one binary, one set of advice
    a.buckets.counts = a.buckets.counts.map((n, i) => n + (b.buckets.counts[i] ?? 0));
    a.sum = (a.sum ?? 0) + (b.sum ?? 0);
    a.count += b.count;
    if (b.min !== undefined) a.min = a.min === undefined ? b.min : Math.min(a.min, b.min);
    if (b.max !== undefined) a.max = a.max === undefined ? b.max : Math.max(a.max, b.max);
    return;
  }
  if (typeof into.value === 'number' && typeof from.value === 'number') (into as { value: number }).value += from.value;
}

/** The series of every snapshot added up, as one scope (the instruments all come from one meter). */
export function mergeSnapshots(snapshots: readonly MetricsSnapshot[]): MetricsSnapshot {
  const metrics = new Map<string, { data: MetricData; points: Map<string, Point> }>();
  for (const snapshot of snapshots) {
    for (const scope of snapshot) {
      for (const metric of scope.metrics) {
        let entry = metrics.get(metric.descriptor.name);
        if (!entry) {
          const data = { ...metric, dataPoints: [] } as unknown as MetricData;
          entry = { data, points: new Map() };
          metrics.set(metric.descriptor.name, entry);
        }
        if (entry.data.dataPointType !== metric.dataPointType) continue;
        for (const point of metric.dataPoints as Point[]) {
          const key = seriesKey(point.attributes);
          const existing = entry.points.get(key);
          if (existing) addPoint(metric.dataPointType, existing, point);
          else {
            const copy = structuredClone(point);
            entry.points.set(key, copy);
            (entry.data.dataPoints as Point[]).push(copy);
          }
        }
      }
    }
  }
  return [{ scope: { name: 'andns' }, metrics: [...metrics.values()].map((e) => e.data) }];
}

// No target_info or otel_scope_* series: one andns per scrape target, names say the rest.
const serializer = new PrometheusSerializer('', false, undefined, true, true);

/** The Prometheus text exposition format (version 0.0.4) of a snapshot. */
export function prometheusText(snapshot: MetricsSnapshot): string {
  return serializer.serialize({ resource: emptyResource(), scopeMetrics: snapshot });
}
