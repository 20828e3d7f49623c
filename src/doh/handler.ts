// HTTP ⇄ DNS for one request, independent of the HTTP version: routes the path and method,
// turns GET/POST into a DNS message (RFC 8484 §4.1) or JSON parameters into one, hands it to the
// shared pipeline, and turns the answer into a response with the right status and headers.

import type { ClientInfo } from '../operations/observer.ts';
import { Acl, DEFAULT_ALLOW_FROM } from '../policy/acl.ts';
import type { Pipeline } from '../server/pipeline.ts';
import { prohibitedPipeline } from '../server/prohibited.ts';
import { clientAddress, type DohAccess } from './client.ts';
import { cacheControl } from './freshness.ts';
import { DNS_JSON, jsonAnswer, jsonQuery } from './json.ts';
import { RESPONSE_PAD_BLOCK } from '../server/tls.ts';
import { MAX_BODY_BYTES } from './options.ts';
import { countReply, Transport } from '../telemetry/counters.ts';

export const DNS_MESSAGE = 'application/dns-message';
/** The JSON API's path, as Google serves it; Cloudflare's form is the DoH path with Accept: application/dns-json. */
export const JSON_PATH = '/resolve';
const METHODS = 'GET, POST, HEAD, OPTIONS';

/** What the handler needs of a request; the HTTP/1.1 and HTTP/2 adapters fill it in. */
export interface RequestHead {
  method: string;
  /** Path and query string, as in the request line or :path. */
  url: string;
  accept: string | undefined;
  contentType: string | undefined;
  contentLength: string | undefined;
  /** The client's address as the socket sees it (per-client limits); absent: none apply. */
  remoteAddress?: string | undefined;
  /** The client's port, for dnstap. */
  remotePort?: number | undefined;
  /** Forwarded (RFC 7239) and X-Forwarded-For: believed only from trusted proxies (doh/client.ts). */
  forwarded?: string | undefined;
  forwardedFor?: string | undefined;
}

export interface HttpReply {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** Reads the body up to `max` bytes: undefined when it is longer (413). */
export type ReadBody = (max: number) => Promise<Buffer | undefined>;

export type DohHandler = (head: RequestHead, readBody: ReadBody) => Promise<HttpReply>;

/**
 * CORS (Fetch standard): any web page may call the API. Nothing is credentialed, so `*` is safe,
 * and it lets browser code use the JSON API as it uses Google's and Cloudflare's.
 */
const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': METHODS,
  'access-control-allow-headers': 'content-type, accept',
  'access-control-max-age': '86400',
};

function reply(status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): HttpReply {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  return { status, headers: { 'content-type': type, 'content-length': String(bytes.length), ...CORS, ...extra }, body: bytes };
}

const text = (status: number, message: string, extra?: Record<string, string>): HttpReply =>
  reply(status, 'text/plain; charset=utf-8', `${message}\n`, { 'cache-control': 'no-store', ...extra });
const jsonError = (status: number, message: string, extra?: Record<string, string>): HttpReply =>
  reply(status, 'application/json', JSON.stringify({ error: message }), { 'cache-control': 'no-store', ...extra });

/** Media type without parameters, lower case: `Application/DNS-Message; x=y` → `application/dns-message`. */
function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}

function wantsJson(accept: string | undefined): boolean {
  return (accept ?? '').toLowerCase().includes(DNS_JSON);
}

/** RFC 8484 §6: base64url without padding; padding is tolerated, anything else is a 400. */
function decodeDnsParam(value: string): Buffer | undefined {
  const bare = value.replace(/=+$/, '');
  if (!/^[A-Za-z0-9_-]+$/.test(bare) || bare.length % 4 === 1) return undefined;
  return Buffer.from(bare, 'base64url');
}

/** The client as the query log and dnstap describe it. */
function observed(head: RequestHead, client: string | undefined): ClientInfo | undefined {
  return client === undefined ? undefined : { address: client, port: head.remotePort ?? 0, transport: 'doh' };
}

/** The pipeline chosen for a request (allowFrom) and the client address it is judged and limited by. */
interface Asker {
  pipeline: Pipeline;
  client: string | undefined;
}

export function createDohHandler(allowed: Pipeline, dohPath: string, access: DohAccess = { acl: Acl.from(DEFAULT_ALLOW_FROM), trustedProxies: undefined }): DohHandler {
  const refusing = prohibitedPipeline('doh');
  async function wire(message: Buffer, head: RequestHead, asker: Asker): Promise<HttpReply> {
    const answered = await asker.pipeline.answer(message, RESPONSE_PAD_BLOCK, asker.client, observed(head, asker.client));
    if (answered.kind === 'malformed') return text(400, `DNS message does not parse: ${answered.reason}`);
    countReply(Transport.DOH, answered.reply);
    // RFC 8484 §4.2.1: every DNS reply, whatever its rcode, is a 200.
    return reply(200, DNS_MESSAGE, answered.reply, { 'cache-control': cacheControl(answered.content) });
  }

  async function json(params: URLSearchParams, head: RequestHead, asker: Asker): Promise<HttpReply> {
    const query = jsonQuery(params);
    if (!query.ok) return jsonError(400, query.error);
    const answered = await asker.pipeline.answer(query.message, 0, asker.client, observed(head, asker.client));
    if (answered.kind === 'malformed') return jsonError(400, `query does not parse: ${answered.reason}`);
    countReply(Transport.DOH, answered.reply);
    const body = jsonAnswer(answered.reply, answered.content, query.name, query.type);
    return reply(200, DNS_JSON, body, { 'cache-control': cacheControl(answered.content) });
  }

  async function post(head: RequestHead, readBody: ReadBody, asker: Asker): Promise<HttpReply> {
    if (mediaType(head.contentType) !== DNS_MESSAGE) return text(415, `POST needs Content-Type: ${DNS_MESSAGE}`);
    // Refuse early from the declared length (RFC 9110 §15.5.14); the reader enforces it anyway.
    if (head.contentLength !== undefined && Number(head.contentLength) > MAX_BODY_BYTES) {
      return text(413, `a DNS message is at most ${MAX_BODY_BYTES} bytes`, { connection: 'close' });
    }
    const body = await readBody(MAX_BODY_BYTES);
    if (body === undefined) return text(413, `a DNS message is at most ${MAX_BODY_BYTES} bytes`, { connection: 'close' });
    if (body.length === 0) return text(400, 'empty body');
    return wire(body, head, asker);
  }

  return async function handle(head, readBody) {
    const url = new URL(head.url, 'http://doh.invalid');
    const isDoh = url.pathname === dohPath;
    const isJson = url.pathname === JSON_PATH;
    if (!isDoh && !isJson) return text(404, `no such path; DoH is at ${dohPath}, the JSON API at ${JSON_PATH}`);
    const method = head.method.toUpperCase();
    if (method === 'OPTIONS') return { status: 204, headers: { allow: METHODS, ...CORS }, body: Buffer.alloc(0) };
    const json400 = isJson || wantsJson(head.accept);
    // allowFrom: a client outside it still gets a DNS answer (REFUSED, EDE 18), as on UDP.
    // Behind a trusted proxy, the client it names is also the one per-client limits count.
    const client = head.remoteAddress === undefined ? undefined : clientAddress(head.remoteAddress, head.forwarded, head.forwardedFor, access.trustedProxies);
    const asker: Asker = { pipeline: client !== undefined && access.acl.allows(client) ? allowed : refusing, client };
    if (method === 'GET' || method === 'HEAD') {
      if (isJson || url.searchParams.has('name')) return json(url.searchParams, head, asker);
      const dns = url.searchParams.get('dns');
      if (dns === null) return json400 ? jsonError(400, 'missing name parameter') : text(400, 'missing dns parameter');
      const message = decodeDnsParam(dns);
      if (message === undefined) return text(400, 'dns parameter is not base64url');
      return wire(message, head, asker);
    }
    if (method === 'POST' && isDoh) return post(head, readBody, asker);
    const error = json400 ? jsonError : text;
    return error(405, `method ${method} not allowed`, { allow: isJson ? 'GET, HEAD, OPTIONS' : METHODS });
  };
}
