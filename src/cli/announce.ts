// The start-up lines: one JSON object per listener on stdout, written whatever the log level,
// so that supervisors, scripts and tests learn the bound ports (port 0 → the kernel's choice).

import { formatListen } from '../config/listen.ts';
import type { ControlEndpoint } from '../operations/control-server.ts';
import type { ListenAddress } from '../server/options.ts';
import type { RunningServer } from '../server/server.ts';

/** What one start-up line says; `msg` is always "listening". */
export interface ListeningLine {
  /** "UDP" and "TCP" share a port; "DoH", "DoT" and "control" have their own. */
  transports: string[];
  /** ADDR:PORT as bound, or the Unix socket's path. */
  listen: string;
  address?: string;
  port?: number;
  /** DoH: the URL clients are pointed at. */
  url?: string;
  /** HTTP versions, TLS, or what the control endpoint requires. */
  detail?: string;
}

export function listeningLines(server: RunningServer): ListeningLine[] {
  return [
    ...server.addresses.map((at) => ({ transports: ['UDP', 'TCP'], ...where(at) })),
    ...server.endpoints.map((e) => ({
      transports: [e.protocol], ...where(e.address), ...(e.protocol === 'DoH' ? { url: e.target } : {}), detail: e.detail,
    })),
  ];
}

export function controlLines(control: ControlEndpoint): ListeningLine[] {
  return [
    ...(control.address ? [{ transports: ['control'], ...where(control.address), detail: 'HTTP, bearer token' }] : []),
    ...(control.socket ? [{ transports: ['control'], listen: control.socket, detail: 'HTTP over a Unix socket (mode 0600)' }] : []),
  ];
}

export function where(at: ListenAddress): { listen: string; address: string; port: number } {
  return { listen: formatListen(at), address: at.address, port: at.port };
}

/** Writes the lines to stdout as JSON, in the logger's shape (time, level, msg). */
export function announce(lines: readonly ListeningLine[]): void {
  for (const l of lines) process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level: 'info', msg: 'listening', ...l })}\n`);
}
