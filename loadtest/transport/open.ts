// Opens the transport a run asks for.

import { DohTransport } from './doh.ts';
import { StreamTransport } from './stream.ts';
import type { Transport, TransportName, TransportOptions } from './transport.ts';
import { assertLoopback } from './transport.ts';
import { UdpTransport } from './udp.ts';

export async function openTransport(name: TransportName, o: TransportOptions): Promise<Transport> {
  assertLoopback(o.host);
  switch (name) {
    case 'udp':
      return UdpTransport.open(o);
    case 'tcp':
      return StreamTransport.open(o, false);
    case 'dot':
      return StreamTransport.open(o, true);
    case 'doh':
      return DohTransport.open(o);
  }
}
