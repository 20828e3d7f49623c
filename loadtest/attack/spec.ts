// What an attacker is told to do, and what it reports back: plain data, so it crosses to a worker thread.

export interface Target {
  host: string;
  port: number;
  /** Loopback address the attack comes from (one source). */
  source: string;
}

export type AttackSpec =
  | ({ kind: 'udp-garbage'; durationS: number; maxPackets: number } & Target)
  | ({ kind: 'random-subdomain'; zone: string; rate: number; durationS: number; dnssecOk: boolean } & Target)
  | ({ kind: 'slow-drip'; transport: 'tcp' | 'dot' | 'doh'; connections: number; dripMs: number; reopen: boolean; durationS: number; maxConnects: number } & Target)
  | ({ kind: 'rapid-reset'; path: string; durationS: number; maxStreams: number } & Target)
  | ({ kind: 'amplification'; queries: AmpQuery[]; rate: number; durationS: number } & Target)
  | ({ kind: 'fuzz'; durationS: number; maxPackets: number; seed: number; tcpShare: number } & Target);

export interface AmpQuery {
  name: string;
  type: string;
  dnssecOk: boolean;
  /** Advertised EDNS UDP size (an attacker asks for the most it can get). */
  udpSize: number;
  /** This row's own rate and duration (the 10k q/s target row), else the spec's. */
  rate?: number;
  durationS?: number;
}

export interface AmpRow extends AmpQuery {
  sent: number;
  replies: number;
  truncated: number;
  bytesSent: number;
  bytesReceived: number;
  /** Reply bytes per query byte: the amplification the attacker obtained. */
  factor: number;
  /** Largest single reply, bytes. */
  maxReply: number;
}

export interface AttackReport {
  /** Packets, queries, connections or streams the attacker sent or opened. */
  sent: number;
  /** Replies (or server-side closes, for connection attacks) it saw. */
  received: number;
  /** Attack-specific counters (connects, closes by the server, unparseable replies …). */
  counters: Record<string, number>;
  amplification?: AmpRow[];
}
