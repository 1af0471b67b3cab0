/**
 * A real chat-completions server on 127.0.0.1 (ephemeral port) for tests and benchmarks: provider adapters,
 * end-to-end suites and benches talk to it over HTTP exactly as they would to OpenAI, Azure or Ollama.
 *
 *   const upstream = await startChatUpstream();
 *   upstream.enqueue(reply.rateLimited(1), reply.text('hello'));   // next requests, in order
 *   // ...point a client at upstream.baseURL (OpenAI style) or upstream.origin (Azure endpoint)...
 *   upstream.requests[0].headers['api-key'];                        // every request is recorded
 *   await upstream.close();
 *
 * Any path ending in `/chat/completions` or `/embeddings` is served, so `/v1/...` and Azure's
 * `/openai/deployments/{name}/...?api-version=` both work. Replies are taken from the queue, else from
 * `upstream.fallback` (default: echo the last user message). Streaming requests get OpenAI-format SSE
 * (tool call arguments split across chunks, a usage chunk when `stream_options.include_usage` is set);
 * others get one JSON completion. Embeddings are deterministic hashed bags of words, L2-normalized, so
 * texts sharing words are close. A queued `completion` reply on `/embeddings` just means "answer normally".
 */
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the server saw it. */
export interface RecordedRequest {
  method: string;
  /** Path and query as sent, e.g. `/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21`. */
  url: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body (undefined if none or not JSON). */
  body: any;
  /** Resolves when the connection for this request is closed, by either side. */
  closed: Promise<void>;
  /** True when the client went away before the reply was complete (abort, timeout). */
  aborted: boolean;
}

/** A successful completion, streamed or not depending on the request. */
export interface CompletionReply {
  kind: 'completion';
  text?: string;
  tool_calls?: Array<{ id?: string; name: string; arguments: string }>;
  /** Defaults to `tool_calls` when there are tool calls, else `stop`. */
  finish_reason?: string;
  /** Reported usage; 'omit' sends none even when asked. Default: word counts. */
  usage?: { prompt_tokens: number; completion_tokens: number } | 'omit';
  /** Characters per text delta; default one word per delta. */
  textChunkChars?: number;
  /** Characters per tool-call arguments delta (default 4), so arguments always span chunks. */
  argsChunkChars?: number;
  /** Interleave the argument deltas of parallel tool calls (legal, and a harder test of reassembly). */
  interleave?: boolean;
  chunkDelayMs?: number;
  /** Stop after this many SSE frames and then cut the connection or go silent. */
  stopAfter?: { frames: number; then: 'cut' | 'hang' };
  /** Answer a streamed request with one JSON completion, as servers without streaming do. */
  ignoresStream?: boolean;
}

/** An OpenAI-format error response. */
export interface ErrorReply {
  kind: 'error';
  status: number;
  message?: string;
  headers?: Record<string, string>;
  /** Send the status and headers, then never the body. */
  stallBody?: boolean;
}

/** A stream that never ends: a text delta every `intervalMs` (0: as fast as the client reads) until the client goes. */
export interface EndlessReply {
  kind: 'endless';
  intervalMs: number;
  /** Text of each delta; default "tick ". */
  delta?: string;
}

/** One SSE event spread over `lines` `data:` lines of `lineBytes` bytes each, written as fast as the client reads. */
export interface HugeEventReply {
  kind: 'huge-event';
  lines: number;
  lineBytes: number;
}

/** Accept the request and never answer (not even headers). */
export interface HangReply {
  kind: 'hang';
}

/** Exact bytes as SSE body, for garbage and malformed streams; then end, cut or go silent. */
export interface RawReply {
  kind: 'raw';
  frames: Array<string | Buffer>;
  then?: 'end' | 'cut' | 'hang';
}

export type UpstreamReply = CompletionReply | ErrorReply | HangReply | RawReply | EndlessReply | HugeEventReply;

/** Builders for common replies. */
export const reply = {
  text: (text: string, opts: Omit<CompletionReply, 'kind' | 'text'> = {}): CompletionReply => ({ kind: 'completion', text, ...opts }),
  toolCalls: (calls: CompletionReply['tool_calls'], opts: Omit<CompletionReply, 'kind' | 'tool_calls'> = {}): CompletionReply => ({ kind: 'completion', tool_calls: calls, ...opts }),
  error: (status: number, message = `upstream error ${status}`, headers?: Record<string, string>): ErrorReply => ({ kind: 'error', status, message, ...(headers ? { headers } : {}) }),
  rateLimited: (retryAfterSeconds: number): ErrorReply => ({ kind: 'error', status: 429, message: 'Rate limit reached', headers: { 'retry-after': String(retryAfterSeconds) } }),
  hang: (): HangReply => ({ kind: 'hang' }),
  /** Status and headers of an error, then silence: the body never comes. */
  errorThenStall: (status: number): ErrorReply => ({ kind: 'error', status, stallBody: true }),
  endless: (intervalMs: number, delta?: string): EndlessReply => ({ kind: 'endless', intervalMs, ...(delta ? { delta } : {}) }),
  hugeEvent: (lines: number, lineBytes: number): HugeEventReply => ({ kind: 'huge-event', lines, lineBytes }),
  /** A good first chunk, then a frame that is not JSON. */
  invalidJson: (): RawReply => ({ kind: 'raw', frames: [sse(chunk('m', { role: 'assistant', content: 'Hi' })), 'data: {"choices": [ {oops\n\n'] }),
  /** Bytes that are not SSE at all, then the connection drops. */
  garbage: (): RawReply => ({ kind: 'raw', frames: [Buffer.from([0xff, 0xfe, 0x00, 0x9c, 0x0a, 0x0a]), 'data: \u0000\u0001\n\n'], then: 'cut' }),
};

export interface ChatUpstream {
  /** OpenAI-style base URL, `http://127.0.0.1:{port}/v1`. */
  baseURL: string;
  /** `http://127.0.0.1:{port}`, usable as an Azure endpoint. */
  origin: string;
  requests: RecordedRequest[];
  /** Replies for the next requests, first in first out. */
  enqueue(...replies: UpstreamReply[]): void;
  /** Reply when the queue is empty. */
  fallback: (req: RecordedRequest) => UpstreamReply;
  close(): Promise<void>;
}

export interface ChatUpstreamOptions {
  /** Keep `requests` (default true; benchmarks turn it off to keep memory flat). */
  record?: boolean;
  /** Vector size when the request does not say; default 256. */
  embeddingDimensions?: number;
  /**
   * Words embedded as another word (`{automobile: 'car'}`), so paraphrases land close together the way a real
   * embedding model puts them; lexical search still sees different words.
   */
  embeddingSynonyms?: Record<string, string>;
  /** Port to listen on (default: any free one); lets a test bring a stopped upstream back at the same address. */
  port?: number;
  /** Answer every chat request that carries `tools` with a 400, as servers without tool calling do. */
  rejectTools?: boolean;
  /** Model ids `GET …/models` lists (default none). */
  models?: string[];
}

/** Starts the server; resolves once it listens. */
export async function startChatUpstream(options: ChatUpstreamOptions = {}): Promise<ChatUpstream> {
  const queue: UpstreamReply[] = [];
  const requests: RecordedRequest[] = [];
  const server = createServer(async (req, res) => {
    const raw = Buffer.concat(await req.toArray()).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://upstream');
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: parseJson(raw),
      closed: new Promise<void>((resolve) => res.once('close', () => resolve())),
      aborted: false,
    };
    res.on('close', () => (recorded.aborted = !res.writableFinished));
    if (options.record !== false) requests.push(recorded);
    if (recorded.method === 'GET' && recorded.path.endsWith('/models')) {
      return sendJson(res, { object: 'list', data: (options.models ?? []).map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'upstream' })) });
    }
    const next = options.rejectTools && recorded.body?.tools
      ? reply.error(400, `registry.ollama.ai/library/${recorded.body.model} does not support tools`)
      : (queue.shift() ?? upstream.fallback(recorded));
    void respond(recorded, next, res, options.embeddingDimensions ?? 256, options.embeddingSynonyms);
  });
  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const upstream: ChatUpstream = {
    baseURL: `http://127.0.0.1:${port}/v1`,
    origin: `http://127.0.0.1:${port}`,
    requests,
    enqueue: (...replies) => void queue.push(...replies),
    fallback: (req) => reply.text(`Echo: ${lastUserText(req.body)}`),
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  return upstream;
}

async function respond(req: RecordedRequest, next: UpstreamReply, res: ServerResponse, dims: number, synonyms?: Record<string, string>): Promise<void> {
  if (next.kind === 'hang') return;
  if (next.kind === 'error') {
    const type = next.status === 429 ? 'rate_limit_error' : next.status >= 500 ? 'server_error' : 'invalid_request_error';
    res.writeHead(next.status, { 'content-type': 'application/json', ...next.headers });
    if (next.stallBody) return void res.flushHeaders();
    res.end(JSON.stringify({ error: { message: next.message, type, param: null, code: null } }));
    return;
  }
  if (req.path.endsWith('/embeddings') && next.kind === 'completion') {
    const refused = invalidEmbeddingsRequest(req.body);
    if (!refused) return sendJson(res, embeddingsResponse(req.body, dims, synonyms));
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: refused, type: 'invalid_request_error', param: null, code: null } }));
    return;
  }
  if (!req.path.endsWith('/chat/completions')) {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: `no route ${req.method} ${req.path}`, type: 'invalid_request_error' } }));
    return;
  }
  if (next.kind === 'raw') return writeFrames(res, next.frames, 0, next.then ?? 'end');
  if (next.kind === 'endless') return writeEndless(res, req.body?.model ?? 'upstream', next);
  if (next.kind === 'huge-event') return writeHugeEvent(res, next);
  if (req.body?.stream !== true || next.ignoresStream) return sendJson(res, completionObject(req.body, next));
  const frames = streamFrames(req.body, next);
  const stop = next.stopAfter;
  if (stop) return writeFrames(res, frames.slice(0, stop.frames), next.chunkDelayMs ?? 0, stop.then);
  return writeFrames(res, frames, next.chunkDelayMs ?? 0, 'end');
}

async function writeFrames(res: ServerResponse, frames: Array<string | Buffer>, delayMs: number, then: 'end' | 'cut' | 'hang') {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.flushHeaders();
  for (const frame of frames) {
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (res.destroyed) return;
    res.write(frame);
  }
  if (then === 'end') res.end();
  // Give the written frames a moment to leave before the socket goes, as a real mid-stream failure would.
  else if (then === 'cut') setTimeout(() => res.socket?.destroy(), 10);
}

/**
 * Writes `frame()` until it returns undefined (then ends) or the client goes, waiting `delayMs` between frames
 * and for the socket to drain.
 */
async function writeUntilClosed(res: ServerResponse, frame: () => string | undefined, delayMs: number): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.flushHeaders();
  while (!res.destroyed) {
    const next = frame();
    if (next === undefined) return void res.end();
    if (!res.write(next)) await drainedOrClosed(res);
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
}

function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

function writeEndless(res: ServerResponse, model: string, r: EndlessReply): Promise<void> {
  let first = true;
  return writeUntilClosed(res, () => {
    const delta = first ? { role: 'assistant', content: '' } : { content: r.delta ?? 'tick ' };
    first = false;
    return sse(chunk(model, delta));
  }, r.intervalMs);
}

async function writeHugeEvent(res: ServerResponse, r: HugeEventReply): Promise<void> {
  const line = `data: ${'x'.repeat(Math.max(0, r.lineBytes - 7))}\n`;
  let sent = 0;
  await writeUntilClosed(res, () => (++sent <= r.lines ? line : sent === r.lines + 1 ? '\ndata: [DONE]\n\n' : undefined), 0);
}

function streamFrames(body: any, r: CompletionReply): string[] {
  const model = body?.model ?? 'upstream';
  const withUsage = body?.stream_options?.include_usage === true;
  const frame = (delta: object, finish: string | null = null) => sse(chunk(model, delta, finish, withUsage));
  const frames = [frame({ role: 'assistant', content: '' })];
  for (const piece of splitText(r.text ?? '', r.textChunkChars)) frames.push(frame({ content: piece }));
  frames.push(...toolCallFrames(r, frame));
  frames.push(frame({}, finishReason(r)));
  if (withUsage && r.usage !== 'omit') {
    frames.push(sse({ id: 'chatcmpl-upstream', object: 'chat.completion.chunk', created: now(), model, choices: [], usage: usage(body, r) }));
  }
  frames.push('data: [DONE]\n\n');
  return frames;
}

function toolCallFrames(r: CompletionReply, frame: (delta: object) => string): string[] {
  const calls = (r.tool_calls ?? []).map((c, i) => ({ ...c, id: c.id ?? `call_upstream_${i}`, pieces: splitChars(c.arguments, r.argsChunkChars ?? 4) }));
  const heads = calls.map((c, index) => frame({ tool_calls: [{ index, id: c.id, type: 'function', function: { name: c.name, arguments: '' } }] }));
  const argFrame = (index: number, piece: string) => frame({ tool_calls: [{ index, function: { arguments: piece } }] });
  if (!r.interleave) return calls.flatMap((c, index) => [heads[index]!, ...c.pieces.map((p) => argFrame(index, p))]);
  const out = [...heads];
  const longest = Math.max(0, ...calls.map((c) => c.pieces.length));
  for (let i = 0; i < longest; i++) calls.forEach((c, index) => c.pieces[i] !== undefined && out.push(argFrame(index, c.pieces[i]!)));
  return out;
}

function completionObject(body: any, r: CompletionReply) {
  const tool_calls = (r.tool_calls ?? []).map((c, i) => ({ id: c.id ?? `call_upstream_${i}`, type: 'function', function: { name: c.name, arguments: c.arguments } }));
  return {
    id: 'chatcmpl-upstream', object: 'chat.completion', created: now(), model: body?.model ?? 'upstream',
    choices: [{ index: 0, finish_reason: finishReason(r), logprobs: null,
      message: { role: 'assistant', content: r.text ?? null, refusal: null, ...(tool_calls.length ? { tool_calls } : {}) } }],
    ...(r.usage === 'omit' ? {} : { usage: usage(body, r) }),
  };
}

/** What a real embeddings server refuses with a 400 (instead of failing on it). */
function invalidEmbeddingsRequest(body: any): string | undefined {
  const input = body?.input;
  const texts = Array.isArray(input) ? input : [input];
  if (texts.length === 0 || !texts.every((t) => typeof t === 'string')) return "'input' must be a string or an array of strings";
  const dims = body?.dimensions;
  if (dims !== undefined && dims !== null && !(Number.isInteger(dims) && dims > 0 && dims <= 4096)) return "'dimensions' must be an integer from 1 to 4096";
  return undefined;
}

function embeddingsResponse(body: any, defaultDims: number, synonyms?: Record<string, string>) {
  const inputs: string[] = Array.isArray(body?.input) ? body.input : [String(body?.input ?? '')];
  const dims = typeof body?.dimensions === 'number' ? body.dimensions : defaultDims;
  const tokens = inputs.reduce((n, text) => n + words(text).length, 0);
  const data = inputs.map((text, index) => {
    const vector = embedText(text, dims, synonyms);
    const embedding = body?.encoding_format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
    return { object: 'embedding', index, embedding };
  });
  return { object: 'list', data, model: body?.model ?? 'upstream', usage: { prompt_tokens: tokens, total_tokens: tokens } };
}

/** The deterministic vector the server returns for `text`; exported so tests can compute expectations. */
export function embedText(text: string, dims: number, synonyms: Record<string, string> = {}): number[] {
  const v = new Array<number>(dims).fill(0);
  for (const word of words(text)) {
    const h = fnv1a(Object.hasOwn(synonyms, word) ? synonyms[word]! : word);
    v[h % dims]! += h & 0x80000000 ? -1 : 1;
  }
  const norm = Math.hypot(...v);
  if (norm === 0) v[0] = 1;
  return norm === 0 ? v : v.map((x) => x / norm);
}

function usage(body: any, r: CompletionReply) {
  if (r.usage && r.usage !== 'omit') return { ...r.usage, total_tokens: r.usage.prompt_tokens + r.usage.completion_tokens };
  const prompt = (body?.messages ?? []).reduce((n: number, m: any) => n + words(typeof m.content === 'string' ? m.content : JSON.stringify(m.content ?? '')).length, 0);
  const completion = words(r.text ?? '').length + (r.tool_calls ?? []).reduce((n, c) => n + Math.ceil(c.arguments.length / 4), 0);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

function chunk(model: string, delta: object, finish: string | null = null, withUsage = false) {
  return {
    id: 'chatcmpl-upstream', object: 'chat.completion.chunk', created: now(), model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(withUsage ? { usage: null } : {}),
  };
}

function finishReason(r: CompletionReply): string {
  return r.finish_reason ?? (r.tool_calls?.length ? 'tool_calls' : 'stop');
}

function lastUserText(body: any): string {
  const user = [...(body?.messages ?? [])].reverse().find((m: any) => m.role === 'user');
  if (!user) return '';
  if (typeof user.content === 'string') return user.content;
  return (user.content ?? []).filter((p: any) => p.type === 'text').map((p: any) => p.text).join('\n');
}

function splitText(text: string, size?: number): string[] {
  if (!text) return [];
  return size ? splitChars(text, size) : (text.match(/\s*\S+\s*/g) ?? [text]);
}

function splitChars(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

const sse = (data: object) => `data: ${JSON.stringify(data)}\n\n`;
const words = (text: string) => text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
const now = () => Math.floor(Date.now() / 1000);

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

function parseJson(raw: string): any {
  try {
    return raw ? JSON.parse(raw) : undefined;
  } catch {
    return undefined;
  }
}

function sendJson(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
