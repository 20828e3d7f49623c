// Opens the control endpoint from its config, with a start-up error that names the address.

import { readToken, type ControlConfig } from '../config/control.ts';
import { startControl, type ControlActions, type ControlEndpoint } from '../operations/control-server.ts';
import { ListenError } from '../server/server.ts';
import type { Logger } from '../util/log.ts';

export async function openControl(c: ControlConfig, actions: ControlActions, log: Logger): Promise<ControlEndpoint> {
  // Read now, not when the config loads: a config can be checked where the token is not.
  const token = c.tokenFile ? readToken(c.tokenFile, 'control.tokenFile') : undefined;
  try {
    return await startControl({ listen: c.listen, socket: c.socket, token, maxRequestsPerMinute: c.maxRequestsPerMinute }, actions, log);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (c.listen && !c.socket) throw new ListenError(c.listen, 'control HTTP', e);
    const failed = new ListenError({ address: '', port: 0, family: 4 }, 'control socket', e);
    failed.message = `cannot listen on ${c.socket ?? c.listen?.address} (control socket): ${e.code ?? e.message}`;
    throw failed;
  }
}
