import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { PassThrough } from 'node:stream';
import { limitedRequest, networkLimits, NetworkRead, type NetworkLimits } from '../util/network.js';

/** The parts of the SDK's HttpRequest (@smithy/protocol-http) a request is made from. */
interface SdkRequest {
  method: string;
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
  query?: Record<string, string | string[] | null>;
  headers: Record<string, string>;
  body?: unknown;
}

/** RFC 3986 escaping, as the SDK's query builder does it. */
const escape = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function queryString(query: SdkRequest['query']): string {
  const parts: string[] = [];
  for (const key of Object.keys(query ?? {}).sort()) {
    const v = query![key];
    if (v === null || v === undefined) parts.push(escape(key));
    else for (const one of Array.isArray(v) ? v : [v]) parts.push(`${escape(key)}=${escape(one)}`);
  }
  return parts.join('&');
}

function isJson(body: Buffer): boolean {
  try {
    JSON.parse(body.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

/**
 * An AWS SDK v3 request handler (the `requestHandler` of a client) that makes each request under the read's
 * limits (util/network.ts). The SDK still signs, retries throttling, 5xx answers and network errors, and parses;
 * a limit that is hit is no retryable error, so it ends the read at once.
 */
export function limitedAwsHandler(read: NetworkRead) {
  const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };
  return {
    metadata: { handlerProtocol: 'http/1.1' },
    async handle(request: SdkRequest): Promise<{ response: unknown }> {
      const host = request.hostname.includes(':') ? `[${request.hostname}]` : request.hostname;
      const url = new URL(`${request.protocol}//${host}${request.port ? `:${request.port}` : ''}${request.path}`);
      url.search = queryString(request.query);
      const body = request.body;
      const res = await limitedRequest(read, {
        url,
        method: request.method,
        headers: request.headers,
        ...(typeof body === 'string' || body instanceof Uint8Array ? { body } : {}),
        agent: url.protocol === 'https:' ? agents.https : agents.http,
      });
      // The APIs read here answer JSON: a 2xx answer that is none is a malformed page, said as one (the SDK's
      // parser would say it in its own words, over lines).
      if (res.status >= 200 && res.status < 300 && res.body.length && !isJson(res.body))
        throw read.fail(`a malformed page (page ${read.pages + 1}): not JSON`);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers))
        if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      // A stream, as the SDK's own handler gives it (its parsers expect one), of the bytes already read in full.
      const stream = new PassThrough().end(res.body);
      return { response: { statusCode: res.status, reason: res.statusMessage, headers, body: stream } };
    },
    updateHttpClientConfig(): void {},
    httpHandlerConfigs(): Record<string, never> {
      return {};
    },
    destroy(): void {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

/** What every source read from an AWS API takes: where, as whom, how often and how long. */
export interface AwsApiOptions {
  region: string;
  startTime?: Date;
  endTime?: Date;
  /** Another endpoint (tests point this at a server on 127.0.0.1). */
  endpoint?: string;
  /** Static credentials; without them the SDK's default provider chain is used. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Least time between two requests (the APIs read here have low per-account rate quotas). */
  minIntervalMs?: number;
  /** Attempts per request, throttling and 5xx included (the SDK's standard retry strategy). */
  maxAttempts?: number;
  /** Called after each page with the number of events it held. */
  onPage?: (events: number) => void;
  /** Timeouts, deadline and size cap (util/network.ts); the defaults when absent. */
  limits?: NetworkLimits;
}

/**
 * A read under the options' limits and the configuration of an SDK client that makes its requests through it: the
 * region, endpoint and credentials given, the SDK's retries (8 attempts unless told), and the limited handler.
 */
export function awsApiClient(opts: AwsApiOptions) {
  const read = new NetworkRead(opts.limits ?? networkLimits());
  const config = {
    region: opts.region,
    maxAttempts: opts.maxAttempts ?? 8,
    requestHandler: limitedAwsHandler(read),
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
  };
  return { read, config };
}
