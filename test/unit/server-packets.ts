// Hand-built client packets and a reply reader for the front-end tests (no codec in the way).

export interface RawQuery {
  id?: number;
  /** Whole second header word; default RD only. */
  flags?: number;
  qdcount?: number;
  name?: string;
  qtype?: number;
  qclass?: number;
  /** Add an OPT record with this UDP size. */
  edns?: { udpSize?: number; version?: number; dnssecOk?: boolean };
}

export function encodeName(name: string): Buffer {
  const parts = name === '.' ? [] : name.replace(/\.$/, '').split('.');
  return Buffer.concat([...parts.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'ascii')])), Buffer.from([0])]);
}

export function rawQuery(q: RawQuery = {}): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(q.id ?? 0x1234, 0);
  header.writeUInt16BE(q.flags ?? 0x0100, 2);
  header.writeUInt16BE(q.qdcount ?? 1, 4);
  header.writeUInt16BE(q.edns ? 1 : 0, 10);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(q.qtype ?? 1, 0);
  tail.writeUInt16BE(q.qclass ?? 1, 2);
  const parts = [header, encodeName(q.name ?? 'example.com'), tail];
  if (q.edns) {
    const opt = Buffer.alloc(11);
    opt.writeUInt16BE(41, 1);
    opt.writeUInt16BE(q.edns.udpSize ?? 1232, 3);
    opt[6] = q.edns.version ?? 0;
    opt.writeUInt16BE(q.edns.dnssecOk ? 0x8000 : 0, 7);
    parts.push(opt);
  }
  return Buffer.concat(parts);
}

export interface ReplyView {
  id: number;
  flags: number;
  rcode: number;
  qdcount: number;
  ancount: number;
  nscount: number;
  arcount: number;
  qr: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  cd: boolean;
  aa: boolean;
  /** OPT record, if the reply carries one (assumed to be the last record). */
  opt?: { udpSize: number; extendedRcode: number; version: number; dnssecOk: boolean; ede?: { code: number; text: string } };
}

/** Reads the header and, when ARCOUNT is 1 and the reply has no other additional, the OPT at its end. */
export function readReply(buf: Buffer, questionEnd?: number): ReplyView {
  const flags = buf.readUInt16BE(2);
  const view: ReplyView = {
    id: buf.readUInt16BE(0),
    flags,
    rcode: flags & 0x0f,
    qdcount: buf.readUInt16BE(4),
    ancount: buf.readUInt16BE(6),
    nscount: buf.readUInt16BE(8),
    arcount: buf.readUInt16BE(10),
    qr: (flags & 0x8000) !== 0,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    rd: (flags & 0x0100) !== 0,
    ra: (flags & 0x0080) !== 0,
    cd: (flags & 0x0010) !== 0,
  };
  if (view.arcount === 1 && view.ancount === 0 && view.nscount === 0 && questionEnd !== undefined) {
    const at = view.qdcount === 1 ? questionEnd : 12;
    const rdlength = buf.readUInt16BE(at + 9);
    const opt: NonNullable<ReplyView['opt']> = {
      udpSize: buf.readUInt16BE(at + 3),
      extendedRcode: buf[at + 5]!,
      version: buf[at + 6]!,
      dnssecOk: (buf.readUInt16BE(at + 7) & 0x8000) !== 0,
    };
    if (rdlength >= 6 && buf.readUInt16BE(at + 11) === 15) {
      const len = buf.readUInt16BE(at + 13);
      opt.ede = { code: buf.readUInt16BE(at + 15), text: buf.subarray(at + 17, at + 15 + len).toString('utf8') };
    }
    view.opt = opt;
  }
  return view;
}

/** Offset just past the question of a packet built by rawQuery. */
export function questionEndOf(name: string): number {
  return 12 + encodeName(name).length + 4;
}
