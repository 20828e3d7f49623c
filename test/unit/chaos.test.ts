// CHAOS identity queries (RFC 4892): answered with the operator's strings, refused when unset.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import dnsPacket from 'dns-packet';
import { createPipeline } from '../../src/server/pipeline.ts';
import { silentLogger } from '../../src/util/log.ts';
import { rawQuery } from './server-packets.ts';

const neverResolve = async () => {
  throw new Error('CHAOS queries must not reach the resolver');
};

test('id.server, hostname.bind, version.bind and version.server get the configured TXT', async () => {
  const pipeline = createPipeline({ resolve: neverResolve, log: silentLogger, chaos: { identity: 'fe-3.ams', version: 'andns 0.1.0' } });
  for (const [name, text] of [['id.server', 'fe-3.ams'], ['HOSTNAME.bind', 'fe-3.ams'], ['version.bind', 'andns 0.1.0'], ['version.server', 'andns 0.1.0']] as const) {
    const reply = dnsPacket.decode((await pipeline.handle(rawQuery({ name, qtype: 16, qclass: 3 }), 512))!);
    assert.equal((reply as { rcode?: string }).rcode, 'NOERROR', name);
    const txt = reply.answers![0] as { class: string; type: string; name: string; data: Buffer[] };
    assert.equal(txt.class, 'CH');
    assert.equal(txt.type, 'TXT');
    assert.equal(txt.name, name.toLowerCase());
    assert.equal(Buffer.concat(txt.data).toString(), text);
  }
});

test('without configured strings (the default), CHAOS queries are REFUSED with EDE 21', async () => {
  const pipeline = createPipeline({ resolve: neverResolve, log: silentLogger, chaos: { identity: '', version: '' } });
  const reply = dnsPacket.decode((await pipeline.handle(rawQuery({ name: 'version.bind', qtype: 16, qclass: 3, edns: {} }), 1232))!);
  assert.equal((reply as { rcode?: string }).rcode, 'REFUSED');
  const opt = reply.additionals!.find((a) => a.type === 'OPT') as { options: { code: number; data: Buffer }[] };
  assert.equal(opt.options[0]!.code, 15);
  assert.equal(opt.options[0]!.data.readUInt16BE(0), 21);
  const other = dnsPacket.decode((await pipeline.handle(rawQuery({ name: 'example.com', qtype: 16, qclass: 3 }), 512))!);
  assert.equal((other as { rcode?: string }).rcode, 'REFUSED', 'other CHAOS names are not served either');
});
