// Port sharing: node:cluster workers each bind their own sockets with SO_REUSEPORT, so the kernel
// spreads queries over them; a lone server binds alone, so a second `andns serve` on a taken
// port fails with EADDRINUSE instead of silently taking half of its traffic.

import cluster from 'node:cluster';
import type { ListenAddress } from './options.ts';

/** True in a worker on Linux (SO_REUSEPORT; elsewhere node:cluster shares one socket). */
export function sharesPort(): boolean {
  return cluster.isWorker && process.platform === 'linux';
}

/** net.Server listen options for `at`; `exclusive` keeps a worker's socket its own. */
export function streamListenOptions(at: ListenAddress): { host: string; port: number; ipv6Only: boolean; reusePort: boolean; exclusive: boolean } {
  const share = sharesPort();
  return { host: at.address, port: at.port, ipv6Only: at.family === 6, reusePort: share, exclusive: share };
}
