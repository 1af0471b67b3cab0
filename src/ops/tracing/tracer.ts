/**
 * Spans with parent/child links carried by AsyncLocalStorage: code that starts a span inside `within(span, …)`
 * gets it as its parent without anything being passed along. Only loaded when tracing is configured.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import type { AttributeValue, OtlpExporter } from './otlp-exporter.js';

/** What a child needs of its parent. */
export interface SpanContext {
  traceId: string;
  spanId: string;
}

const nowNs = () => BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));

export class Span implements SpanContext {
  readonly traceId: string;
  readonly spanId = randomBytes(8).toString('hex');
  private readonly startNs = nowNs();
  private ended = false;
  private error: string | undefined;

  constructor(
    private readonly exporter: OtlpExporter,
    public name: string,
    readonly kind: 1 | 2 | 3,
    private readonly parent: SpanContext | undefined,
    readonly attributes: Record<string, AttributeValue> = {},
  ) {
    this.traceId = parent?.traceId ?? randomBytes(16).toString('hex');
  }

  set(key: string, value: AttributeValue | undefined): this {
    if (value !== undefined) this.attributes[key] = value;
    return this;
  }

  fail(err: unknown): this {
    this.error = err instanceof Error ? err.message : String(err);
    return this;
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.exporter.export({
      traceId: this.traceId,
      spanId: this.spanId,
      ...(this.parent ? { parentSpanId: this.parent.spanId } : {}),
      name: this.name,
      kind: this.kind,
      startNs: this.startNs,
      endNs: nowNs(),
      attributes: this.attributes,
      ...(this.error !== undefined ? { error: this.error } : {}),
    });
  }
}

export const SPAN_KIND = { internal: 1, server: 2, client: 3 } as const;

export class Tracer {
  private readonly current = new AsyncLocalStorage<SpanContext>();

  constructor(private readonly exporter: OtlpExporter) {}

  /** A span under `parent`; under the current span when `parent` is undefined, a new trace when it is null. */
  start(name: string, kind: keyof typeof SPAN_KIND, attributes: Record<string, AttributeValue> = {}, parent?: SpanContext | null): Span {
    return new Span(this.exporter, name, SPAN_KIND[kind], parent === undefined ? this.active() : (parent ?? undefined), attributes);
  }

  active(): SpanContext | undefined {
    return this.current.getStore();
  }

  /** Runs `fn` with `span` as the parent of the spans it starts. */
  within<T>(span: SpanContext, fn: () => T): T {
    return this.current.run(span, fn);
  }
}
