import { request as httpRequest, type Agent, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';

/**
 * Bounds on every read over the network (LookupEvents, CloudWatch Logs, the Kubernetes API): a server that never
 * answers, dribbles bytes, pages forever or sends an endless body ends the read with one NetworkLimitError naming
 * what happened, instead of hanging or filling memory. The requests are made here with node:http(s), for the AWS
 * SDK (as its request handler) and for @kubernetes/client-node (as its HTTP library) alike, so both keep the
 * same limits and say the same things.
 */
export interface NetworkLimits {
  /** Connecting, and any silence while waiting for or reading an answer (`--network-timeout`). */
  timeoutMs: number;
  /** One request from sending it to the last byte of its answer (10 times `timeoutMs`). */
  requestMs: number;
  /** The whole read of one source, every page and retry included (`--deadline`); none when undefined. */
  deadlineMs?: number;
  /** One answer's body. */
  maxResponseBytes: number;
}

export const DEFAULT_NETWORK_TIMEOUT_MS = 30_000;
export const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

export function networkLimits(timeoutMs = DEFAULT_NETWORK_TIMEOUT_MS, deadlineMs?: number): NetworkLimits {
  return {
    timeoutMs,
    requestMs: 10 * timeoutMs,
    ...(deadlineMs !== undefined ? { deadlineMs } : {}),
    maxResponseBytes: MAX_RESPONSE_BYTES,
  };
}

/** A limit that ended a read. `$metadata` keeps the AWS SDK from retrying it or appending hints to its message. */
export class NetworkLimitError extends Error {
  override name = 'NetworkLimitError';
  readonly $metadata = {};
}

export const seconds = (ms: number): string => `${Number((ms / 1000).toFixed(3))} s`;

/** Where a request went, without its query (paging tokens can be long). */
const where = (url: URL): string => `${url.origin}${url.pathname}`;

/**
 * One source's read: the deadline's clock (from its first request), the pages read so far, and the first limit
 * that ended it (the SDK and the Kubernetes client wrap errors; `failure` is what to say).
 */
export class NetworkRead {
  pages = 0;
  failure: NetworkLimitError | undefined;
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly endsAt: number;

  constructor(readonly limits: NetworkLimits) {
    this.endsAt = limits.deadlineMs === undefined ? Infinity : Date.now() + limits.deadlineMs;
    if (limits.deadlineMs !== undefined) {
      this.timer = setTimeout(() => this.controller.abort(), limits.deadlineMs);
      this.timer.unref();
    }
  }

  /** Aborted when the deadline passes: requests in flight and the SDK's waits between retries end. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  fail(message: string): NetworkLimitError {
    const e = new NetworkLimitError(message);
    this.failure ??= e;
    return this.failure;
  }

  deadlineError(): NetworkLimitError {
    return this.fail(
      `the deadline of ${seconds(this.limits.deadlineMs ?? 0)} passed after ${this.pages} page${this.pages === 1 ? '' : 's'}: what was read is incomplete`,
    );
  }

  /** Before a request (and after a wait between pages): past the deadline, the read ends. */
  check(): void {
    if (Date.now() >= this.endsAt || this.controller.signal.aborted) throw this.deadlineError();
  }

  /** A page's items: a list, and no more than were asked for. */
  checkPage(items: unknown, asked: number, what: string): unknown[] {
    if (!Array.isArray(items))
      throw this.fail(`a malformed page (page ${this.pages + 1}): ${what} is ${describe(items)}, not a list`);
    if (items.length > asked)
      throw this.fail(`a page of ${items.length} items where at most ${asked} were asked for (page ${this.pages + 1})`);
    const odd = items.findIndex((i) => typeof i !== 'object' || i === null || Array.isArray(i));
    if (odd >= 0)
      throw this.fail(
        `a malformed page (page ${this.pages + 1}): ${what}[${odd}] is ${Array.isArray(items[odd]) ? 'a list' : describe(items[odd])}, not an object`,
      );
    return items;
  }

  /** The error to report for what a client threw: the limit that ended the read, if one did. */
  explain(e: unknown): Error {
    if (this.failure) return this.failure;
    if (this.controller.signal.aborted) return this.deadlineError();
    return e instanceof Error ? e : new Error(String(e));
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}

function describe(v: unknown): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  return `a ${typeof v}`;
}

export interface LimitedRequest {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  agent?: Agent;
}

export interface LimitedResponse {
  status: number;
  statusMessage: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * One HTTP request under the read's limits: connected within the timeout, never silent longer than it, done
 * within the request limit, its body at most the size cap (refused from Content-Length when it says so), and
 * aborted at the deadline. Network errors (refused, reset) pass through as they are, for the caller's retries.
 */
export function limitedRequest(read: NetworkRead, req: LimitedRequest): Promise<LimitedResponse> {
  const { limits } = read;
  read.check();
  return new Promise((resolve, reject) => {
    const send = req.url.protocol === 'https:' ? httpsRequest : httpRequest;
    let settled = false;
    let socket: Socket | undefined;
    const timers: NodeJS.Timeout[] = [];
    const onIdle = () => done(read.fail(`no bytes from ${where(req.url)} for ${seconds(limits.timeoutMs)}`));
    const done = (err: Error | undefined, res?: LimitedResponse) => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      read.signal.removeEventListener('abort', onAbort);
      // A kept-alive socket goes back to the agent without this request's timeout.
      socket?.setTimeout(0);
      socket?.removeListener('timeout', onIdle);
      if (err) {
        r.destroy();
        reject(err);
      } else resolve(res!);
    };
    const r = send(req.url, {
      method: req.method,
      headers: req.headers,
      ...(req.agent ? { agent: req.agent } : {}),
    });
    const onAbort = () => done(read.deadlineError());
    read.signal.addEventListener('abort', onAbort, { once: true });
    timers.push(
      setTimeout(
        () =>
          done(
            read.fail(
              `an answer from ${where(req.url)} still incomplete after ${seconds(limits.requestMs)} (bytes trickling in)`,
            ),
          ),
        limits.requestMs,
      ),
    );
    r.on('socket', (s: Socket) => {
      socket = s;
      const idle = () => {
        if (settled) return;
        s.setTimeout(limits.timeoutMs);
        s.on('timeout', onIdle);
      };
      if (!s.connecting) return idle();
      const t = setTimeout(
        () => done(read.fail(`timed out after ${seconds(limits.timeoutMs)} connecting to ${where(req.url)}`)),
        limits.timeoutMs,
      );
      timers.push(t);
      s.once('connect', () => {
        clearTimeout(t);
        idle();
      });
    });
    r.on('error', (e) => done(e));
    r.on('response', (res) => {
      const tooBig = () =>
        done(read.fail(`an answer from ${where(req.url)} over ${limits.maxResponseBytes / 1024 / 1024} MiB`));
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > limits.maxResponseBytes) return tooBig();
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > limits.maxResponseBytes) return tooBig();
        chunks.push(c);
      });
      res.on('error', (e) => done(e));
      res.on('close', () => {
        // ECONNRESET, as Node says it: a network error the SDK retries.
        if (!res.complete)
          done(
            Object.assign(new Error(`the connection to ${where(req.url)} closed in the middle of an answer`), {
              code: 'ECONNRESET',
            }),
          );
      });
      res.on('end', () =>
        done(undefined, {
          status: res.statusCode ?? 0,
          statusMessage: res.statusMessage ?? '',
          headers: res.headers,
          body: Buffer.concat(chunks, size),
        }),
      );
    });
    // A view on the bytes, not Buffer.from(body): the SDK's JSON bodies are Uint8Arrays whose valueOf is a string.
    const body = req.body;
    if (body === undefined) r.end();
    else r.end(typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  });
}
