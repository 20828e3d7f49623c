// Pub/sub for the Redis Cluster store on a connection of its own, to any one node: in Redis
// Cluster a PUBLISH reaches every node over the cluster bus, so one subscriber connection
// hears every front-end's flushes and lease releases.
//
// Why not ioredis's cluster subscriber: its selectSubscriber() calls disconnect() on the last
// subscriber that worked each time it picks a new node, and every such call adds a 'close'
// listener to that connection's (already closed) socket. Through an outage it picks a new node
// on every failed attempt, so after ten the process prints "MaxListenersExceededWarning … 11
// close listeners added to [Socket]" and the listeners pile up (ioredis 6.0.0,
// cluster/ClusterSubscriber.js and connectors/AbstractConnector.js; redis/ioredis#2030 is the
// same warning from another path). Here each attempt is a fresh connection that is dropped once.

import { Redis, type RedisOptions } from 'ioredis';

export interface SubscriberDeps {
  /** Nodes to try, in any order (the cluster's current nodes, else the seeds). */
  nodes(): { host: string; port: number }[];
  /** Connection options shared with the cluster client (credentials, TLS, timeouts). */
  redisOptions: RedisOptions;
  deliver(channel: string, message: string): void;
  /** Delay before attempt `n` (1-based) after a lost connection, ms. */
  retryDelay(n: number): number;
  /** A connection not subscribed this long after it was opened is dropped for the next node, ms. */
  connectTimeoutMs: number;
}

export class ChannelSubscriber {
  private readonly d: SubscriberDeps;
  private readonly channels = new Set<string>();
  private conn: Redis | undefined;
  private attempts = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private next = 0;

  constructor(deps: SubscriberDeps) {
    this.d = deps;
  }

  /** Whether the subscription is live now. */
  get connected(): boolean {
    return this.conn?.status === 'ready';
  }

  /**
   * Resolves once the channel is subscribed, or after connectTimeoutMs at most (a node that
   * accepts connections but answers nothing must not hold up start-up or shutdown): the
   * subscription carries on in the background.
   */
  async subscribe(channel: string): Promise<void> {
    this.channels.add(channel);
    const work = this.conn ? this.conn.subscribe(channel).then(() => undefined) : this.timer ? Promise.resolve() : this.connect();
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.d.connectTimeoutMs);
      timer.unref();
    });
    await Promise.race([work.catch(() => undefined), limit]);
    clearTimeout(timer);
  }

  async unsubscribe(channel: string): Promise<void> {
    this.channels.delete(channel);
    if (this.conn?.status === 'ready') await this.conn.unsubscribe(channel).catch(() => undefined);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    const conn = this.conn;
    this.conn = undefined;
    conn?.disconnect();
  }

  private async connect(): Promise<void> {
    this.timer = undefined;
    if (this.closed || this.channels.size === 0) return;
    const nodes = this.d.nodes();
    if (nodes.length === 0) return this.retry();
    const node = nodes[this.next++ % nodes.length]!;
    const conn = new Redis({
      ...this.d.redisOptions,
      host: node.host,
      port: node.port,
      // One attempt per connection; we pick the next node ourselves, after a jittered delay.
      retryStrategy: () => null,
      enableOfflineQueue: true,
      maxRetriesPerRequest: 0,
      commandTimeout: undefined,
      lazyConnect: false,
    });
    this.conn = conn;
    conn.on('error', () => undefined); // reported by the cluster client's own error events
    conn.on('messageBuffer', (channel: Buffer, message: Buffer) => this.d.deliver(channel.toString(), message.toString()));
    // A node that accepts the connection but answers nothing (stopped, overloaded) never
    // becomes ready and never ends by itself: give up on it and try the next.
    const watchdog = setTimeout(() => {
      if (this.conn === conn && conn.status !== 'ready') conn.disconnect();
    }, this.d.connectTimeoutMs);
    watchdog.unref();
    conn.on('ready', () => {
      clearTimeout(watchdog);
      this.attempts = 0;
    });
    conn.once('end', () => {
      if (this.conn !== conn) return;
      this.conn = undefined;
      this.retry();
    });
    // Queued until the connection is ready (the offline queue is on for this connection only).
    await conn.subscribe(...this.channels).catch(() => undefined);
  }

  private retry(): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => void this.connect(), this.d.retryDelay(++this.attempts));
    this.timer.unref();
  }
}
