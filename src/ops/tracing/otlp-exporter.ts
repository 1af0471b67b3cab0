/**
 * Sends finished spans to an OTLP/HTTP collector as JSON (the OTLP JSON encoding: hex ids, nanosecond
 * timestamps as strings), in batches: every second, or sooner once a batch is full. A collector that is down
 * loses spans, never slows requests: the queue is bounded and the sending happens off the request path.
 */
import type { Logger } from 'pino';
import type { TracingSettings } from '../../config.js';

export type AttributeValue = string | number | boolean;

/** A finished span, as the tracer hands it over. */
export interface SpanData {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client. */
  kind: 1 | 2 | 3;
  startNs: bigint;
  endNs: bigint;
  attributes: Record<string, AttributeValue>;
  /** Unset when absent; `error` with its message when the work failed. */
  error?: string;
}

const BATCH = 512;
/** Spans waiting beyond this many are dropped (a collector down for long). */
const MAX_QUEUED = 8192;
const INTERVAL_MS = 1000;

export interface OtlpExporter {
  export(span: SpanData): void;
  /** Sends everything queued now. */
  flush(): Promise<void>;
  /** Flushes and stops the timer. */
  close(): Promise<void>;
}

function attribute(key: string, value: AttributeValue) {
  if (typeof value === 'string') return { key, value: { stringValue: value } };
  if (typeof value === 'boolean') return { key, value: { boolValue: value } };
  return { key, value: Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value } };
}

function encodeSpan(span: SpanData) {
  return {
    traceId: span.traceId,
    spanId: span.spanId,
    ...(span.parentSpanId ? { parentSpanId: span.parentSpanId } : {}),
    name: span.name,
    kind: span.kind,
    startTimeUnixNano: String(span.startNs),
    endTimeUnixNano: String(span.endNs),
    attributes: Object.entries(span.attributes).map(([key, value]) => attribute(key, value)),
    status: span.error === undefined ? {} : { code: 2, message: span.error },
  };
}

export function createOtlpExporter(settings: TracingSettings, version: string, logger?: Logger): OtlpExporter {
  const queue: SpanData[] = [];
  const resource = { attributes: [attribute('service.name', settings.serviceName), attribute('service.version', version)] };
  const scope = { name: 'assistd', version };
  let sending: Promise<void> = Promise.resolve();
  let failing = false;

  async function send(spans: SpanData[]): Promise<void> {
    const body = JSON.stringify({ resourceSpans: [{ resource, scopeSpans: [{ scope, spans: spans.map(encodeSpan) }] }] });
    try {
      const res = await fetch(settings.tracesUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...settings.headers }, body, signal: AbortSignal.timeout(10_000) });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`the collector answered ${res.status}`);
      if (failing) logger?.info({ url: settings.tracesUrl }, 'sending traces works again');
      failing = false;
    } catch (err) {
      // Once per outage, not once per batch.
      if (!failing) logger?.warn({ err, url: settings.tracesUrl }, 'sending traces failed; spans are dropped until it works');
      failing = true;
    }
  }

  function flush(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.splice(0, BATCH);
      sending = sending.then(() => send(batch));
    }
    return sending;
  }

  const timer = setInterval(() => void flush(), INTERVAL_MS);
  timer.unref();
  return {
    export(span) {
      if (queue.length >= MAX_QUEUED) return;
      queue.push(span);
      if (queue.length >= BATCH) void flush();
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}
