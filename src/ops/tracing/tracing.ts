/**
 * OpenTelemetry traces, on when an OTLP endpoint is configured: a span per HTTP request (joining the caller's
 * trace from a W3C `traceparent` header), per run execution (a child of the request that queued the run), per
 * model call (GenAI semantic conventions) and per built-in tool call. Loaded with a dynamic import, so a server
 * without tracing loads none of it and its hot paths are unchanged.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import type { Logger } from 'pino';
import type { TracingSettings } from '../../config.js';
import { isTerminal } from '../../domain/run-status.js';
import type { Run } from '../../domain/types.js';
import type { RunStatusObserver } from '../../engine/events/run-events.js';
import type { ChatModel } from '../../providers/chat-model.js';
import type { ModelRegistry } from '../../providers/registry.js';
import type { BuiltinTool, BuiltinTools } from '../../tools/builtin-tool.js';
import { createOtlpExporter } from './otlp-exporter.js';
import { SPAN_KIND, Span, Tracer, type SpanContext } from './tracer.js';

export interface Tracing {
  /** Adds request spans; call before any route is registered. */
  installHttp(app: FastifyInstance): void;
  instrumentModels(registry: ModelRegistry): ModelRegistry;
  instrumentTools(tools: BuiltinTools): BuiltinTools;
  /** Remembers which request queued a run, so the run's span joins that request's trace. */
  observeRun: RunStatusObserver;
  /** Wraps one execution of a run (up to its end or a pause for tool outputs) in a span. */
  aroundRun(project: string, runId: string, execute: () => Promise<Run | undefined>): Promise<Run | undefined>;
  /** Sends the spans still queued. */
  close(): Promise<void>;
}

/** Runs queued by a request and not executed yet; beyond this many (runs another replica took), the oldest go. */
const MAX_PENDING_RUNS = 10_000;
const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-([\da-f]{16})-[\da-f]{2}$/;

export function createTracing(settings: TracingSettings, version: string, logger?: Logger): Tracing {
  const exporter = createOtlpExporter(settings, version, logger);
  const tracer = new Tracer(exporter);
  const requestSpans = new WeakMap<FastifyRequest, Span>();
  const queuedBy = new Map<string, SpanContext>();

  function requestSpan(request: FastifyRequest, reply: FastifyReply): Span {
    const header = request.headers.traceparent;
    const remote = typeof header === 'string' ? TRACEPARENT.exec(header) : null;
    const parent = remote ? { traceId: remote[1]!, spanId: remote[2]! } : null;
    const span = tracer.start(request.method, 'server', { 'http.request.method': request.method, 'url.path': request.url.split('?')[0]!, 'assistd.request.id': String(request.id) }, parent);
    // 'close' also ends streamed (hijacked) replies, which never reach onResponse.
    reply.raw.once('close', () => {
      const route = request.routeOptions.url;
      if (route) span.name = `${request.method} ${route}`;
      span.set('http.route', route).set('http.response.status_code', reply.raw.statusCode).set('assistd.project', request.project || undefined);
      if (reply.raw.statusCode >= 500) span.fail(`HTTP ${reply.raw.statusCode}`);
      span.end();
    });
    return span;
  }

  function instrumentModel(model: ChatModel): ChatModel {
    const { name, provider } = model.info;
    const start = () => tracer.start(`chat ${name}`, 'client', { 'gen_ai.operation.name': 'chat', 'gen_ai.system': provider, 'gen_ai.request.model': name });
    const forward = model.forward?.bind(model);
    return {
      info: model.info,
      // A client's chat body passed through: the span lasts until the upstream's body is read (usage is not parsed).
      ...(forward
        ? {
            async forward(body, signal) {
              const span = start();
              try {
                const answer = await forward(body, signal);
                answer.body.once('close', () => span.end());
                return answer;
              } catch (err) {
                span.fail(err).end();
                throw err;
              }
            },
          }
        : {}),
      async *stream(req, signal) {
        const span = start();
        try {
          for await (const event of model.stream(req, signal)) {
            if (event.type === 'usage') span.set('gen_ai.usage.input_tokens', event.prompt_tokens).set('gen_ai.usage.output_tokens', event.completion_tokens);
            else if (event.type === 'finish') span.set('gen_ai.response.finish_reasons', event.reason);
            yield event;
          }
        } catch (err) {
          span.fail(err);
          throw err;
        } finally {
          span.end();
        }
      },
    };
  }

  function instrumentTool<T extends BuiltinTool>(tool: T): T {
    return {
      ...tool,
      async execute(call, ctx, progress) {
        const span = tracer.start(`execute_tool ${tool.type}`, 'internal', { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': tool.type, 'gen_ai.tool.call.id': call.id });
        try {
          return await tool.execute(call, ctx, progress as never);
        } catch (err) {
          span.fail(err);
          throw err;
        } finally {
          span.end();
        }
      },
    } as T;
  }

  return {
    installHttp(app) {
      app.addHook('onRequest', (request, reply, done) => {
        requestSpans.set(request, requestSpan(request, reply));
        done();
      });
      // The handler runs inside its request's span, so whatever it starts (a run, a model call) is a child of it.
      app.addHook('onRoute', (route) => {
        const handler = route.handler as RouteHandlerMethod;
        route.handler = function (this: FastifyInstance, request, reply) {
          const span = requestSpans.get(request);
          return span ? tracer.within(span, () => handler.call(this, request, reply)) : handler.call(this, request, reply);
        };
      });
    },
    instrumentModels(registry) {
      return { ...registry, resolve: (name, project) => instrumentModel(registry.resolve(name, project)) };
    },
    instrumentTools(tools) {
      const out: BuiltinTools = {};
      if (tools.code_interpreter) out.code_interpreter = instrumentTool(tools.code_interpreter);
      if (tools.file_search) out.file_search = instrumentTool(tools.file_search);
      return out;
    },
    observeRun(_project, run) {
      if (isTerminal(run.status)) return void queuedBy.delete(run.id);
      // Only a request's span: the run's own status changes happen inside the run's span.
      const active = tracer.active();
      if (!(active instanceof Span) || active.kind !== SPAN_KIND.server) return;
      queuedBy.delete(run.id);
      queuedBy.set(run.id, active);
      if (queuedBy.size > MAX_PENDING_RUNS) queuedBy.delete(queuedBy.keys().next().value as string);
    },
    async aroundRun(project, runId, execute) {
      const parent = queuedBy.get(runId) ?? null;
      queuedBy.delete(runId);
      const span = tracer.start('run', 'internal', { 'gen_ai.operation.name': 'invoke_agent', 'assistd.run.id': runId, 'assistd.project': project }, parent);
      try {
        const run = await tracer.within(span, execute);
        if (run) {
          span.set('assistd.run.status', run.status).set('gen_ai.request.model', run.model).set('assistd.thread.id', run.thread_id).set('gen_ai.agent.id', run.assistant_id);
          if (run.status === 'failed') span.fail(run.last_error?.message ?? 'failed');
        }
        return run;
      } catch (err) {
        span.fail(err);
        throw err;
      } finally {
        span.end();
      }
    },
    close: () => exporter.close(),
  };
}
