// How the `andns` commands reach a running server's control endpoint: the address or Unix
// socket and the token from flags, or from the server's own config file (--config), so an
// operator types neither. The token file is held to the same mode rule as the server's.

import http from 'node:http';
import { loadConfig } from '../config/load.ts';
import { parseListen } from '../config/listen.ts';
import { readToken } from '../config/control.ts';
import { UsageError } from './flags.ts';

/** The control endpoint's conventional address (as in the README's example). */
export const DEFAULT_CONTROL = '127.0.0.1:5380';

export const controlClientFlags = [
  { name: 'control', type: 'string' as const, value: 'ADDR:PORT|PATH', help: 'control endpoint of the running andns: loopback address or Unix socket path', default: `from --config, else ${DEFAULT_CONTROL}` },
  { name: 'control-token', type: 'string' as const, value: 'FILE', help: 'file holding the control token (mode 0600); not needed over a Unix socket', default: 'from --config' },
  { name: 'config', type: 'string' as const, value: 'FILE', help: "the server's config file: its control.listen/socket and control.tokenFile are used", default: 'none' },
];

export interface ControlTarget {
  /** For messages. */
  where: string;
  options: http.RequestOptions;
}

export class ControlCommandError extends Error {
  override name = 'ControlCommandError';
}

export function controlTarget(values: Record<string, unknown>): ControlTarget {
  const flag = values['control'] as string | undefined;
  const tokenFlag = values['control-token'] as string | undefined;
  const configured = values['config'] !== undefined ? loadConfig({ configFile: values['config'] as string }).control : undefined;
  const tokenFile = tokenFlag ?? configured?.tokenFile;
  const token = tokenFile ? readToken(tokenFile, tokenFlag ? '--control-token' : 'control.tokenFile') : undefined;
  const text = flag ?? (configured?.socket && !configured.listen ? configured.socket : undefined);
  if (text?.startsWith('/') || text?.startsWith('.')) {
    return { where: text, options: { socketPath: text, headers: { host: 'localhost' } } };
  }
  const at = text ? parseListen(text) : (configured?.listen ?? parseListen(DEFAULT_CONTROL));
  if (!at) throw new UsageError(`--control: "${text}" is not ADDR:PORT or a socket path`);
  const host = at.family === 6 ? `[${at.address}]` : at.address;
  return {
    where: `${host}:${at.port}`,
    options: { host: at.address, port: at.port, headers: { host: `${host}:${at.port}`, ...(token ? { authorization: `Bearer ${token}` } : {}) } },
  };
}

/** One request; resolves the HTTP status and body, rejects when the endpoint cannot be reached. */
export function controlRequest(target: ControlTarget, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers = { ...(target.options.headers as Record<string, string>), ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) };
    // A rolling restart waits for each worker to start and drain: minutes, not seconds.
    const req = http.request({ ...target.options, method, path, headers, timeout: path === '/restart' ? 600_000 : 20_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('timeout', () => req.destroy(new Error('no answer from the control endpoint')));
    req.on('error', (err: NodeJS.ErrnoException) => reject(new ControlCommandError(`cannot reach the control endpoint at ${target.where}: ${err.code ?? err.message}`)));
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** The body as JSON, or the failure as an exit status 1 with the server's reason. */
export async function controlCall(values: Record<string, unknown>, method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
  const { status, body: text } = await controlRequest(controlTarget(values), method, path, body);
  if (status !== 200) {
    let reason = text.trim();
    try {
      reason = (JSON.parse(text) as { error?: string }).error ?? reason;
    } catch {
      // not JSON: show it as it came
    }
    throw new ControlCommandError(`${path.slice(1).replace('/', ' ')} failed (HTTP ${status}): ${reason}`);
  }
  return JSON.parse(text) as unknown;
}
