// What the bench compares: a resolver it can start on given root hints, pin to a core, sample and stop.

/** Where the simulated internet is and where the resolver should listen. */
export interface TargetContext {
  /** named.root-format hints pointing at the simulated root servers. */
  hintsFile: string;
  /** Port of every simulated authoritative server (53: Unbound cannot query another). */
  upstreamPort: number;
  /** Core to pin the resolver to (the generator takes the other one). */
  cpu?: number;
  /** Scratch directory for configs, keys, pid files. */
  workDir: string;
  /** Self-signed TLS certificate for DoT/DoH listeners. */
  tls: { certFile: string; keyFile: string };
}

export interface Endpoint {
  host: string;
  port: number;
}

export interface RunningTarget {
  name: string;
  udp: Endpoint;
  tcp: Endpoint;
  dot?: Endpoint;
  doh?: Endpoint & { path: string };
  /** Processes whose CPU and memory the bench samples (all workers of a multi-process server). */
  pids(): number[];
  /** Separate caches a client's query may land in (worker processes without a shared cache); 1 when absent. */
  caches?: number;
  stop(): Promise<void>;
}

export interface Target {
  /** Label in reports, e.g. "unbound" or "andns --workers 2". */
  name: string;
  /** Why not, when this target cannot run here (missing binary …); undefined when it can. */
  unavailable(): string | undefined;
  /** Starts a fresh resolver with an empty cache; resolves once it answers DNS. */
  start(ctx: TargetContext): Promise<RunningTarget>;
}
