/**
 * Prometheus series for what the engine does, beside the HTTP ones: runs by final status and model, run
 * duration, model-call latency and time to first token, tokens by model and project, tool calls by type and
 * outcome. Built by wrapping the model registry and the built-in tools and by observing run status changes, so
 * the engine itself knows nothing of metrics.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import type { RunStatusObserver } from '../engine/events/run-events.js';
import type { ChatEvent, ChatModel } from '../providers/chat-model.js';
import type { ModelRegistry } from '../providers/registry.js';
import type { BuiltinTool, BuiltinTools } from '../tools/builtin-tool.js';

const ENDINGS = new Set(['completed', 'failed', 'cancelled', 'expired', 'incomplete']);
/** Model names come from clients: past this many distinct ones, the rest share one label. */
const MAX_MODEL_LABELS = 100;

export interface EngineMetrics {
  observeRun: RunStatusObserver;
  instrumentModels(registry: ModelRegistry): ModelRegistry;
  instrumentTools(tools: BuiltinTools): BuiltinTools;
}

export function createEngineMetrics(registry: Registry): EngineMetrics {
  const registers = [registry];
  const runs = new Counter({ name: 'assistd_runs_total', help: 'Runs that ended, by final status and model.', labelNames: ['status', 'model'], registers });
  const runSeconds = new Histogram({ name: 'assistd_run_duration_seconds', help: 'From creation to final status.', labelNames: ['status', 'model'], buckets: [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800], registers });
  const tokens = new Counter({ name: 'assistd_tokens_total', help: 'Tokens of ended runs by model, project and kind (prompt, completion).', labelNames: ['model', 'project', 'kind'], registers });
  const callSeconds = new Histogram({ name: 'assistd_model_call_duration_seconds', help: 'One model call, request to last event, by model, provider and outcome.', labelNames: ['model', 'provider', 'outcome'], buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120], registers });
  const firstToken = new Histogram({ name: 'assistd_model_time_to_first_token_seconds', help: 'From a model request to its first text or tool-call delta.', labelNames: ['model', 'provider'], buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30], registers });
  const toolCalls = new Counter({ name: 'assistd_tool_calls_total', help: 'Tool calls by type (function, code_interpreter, file_search) and outcome.', labelNames: ['type', 'outcome'], registers });
  const models = new Set<string>();
  const modelLabel = (name: string) => {
    if (models.has(name) || models.size < MAX_MODEL_LABELS) {
      models.add(name);
      return name;
    }
    return 'other';
  };

  // Label sets are few (model x provider x outcome): one child per set, resolved once, spares hashing the
  // labels on every observation.
  const observers = new Map<string, CallObserver>();
  function callObserver(name: string, provider: string): CallObserver {
    const model = modelLabel(name);
    const key = `${model}\n${provider}`;
    let observer = observers.get(key);
    if (!observer) {
      const first = firstToken.labels(model, provider);
      const ended = { ok: callSeconds.labels(model, provider, 'ok'), error: callSeconds.labels(model, provider, 'error'), aborted: callSeconds.labels(model, provider, 'aborted') };
      observer = { firstToken: (seconds) => first.observe(seconds), ended: (outcome, seconds) => ended[outcome].observe(seconds) };
      observers.set(key, observer);
    }
    return observer;
  }

  function instrumentModel(model: ChatModel): ChatModel {
    const { name, provider } = model.info;
    // Everything else the model offers (the chat pass-through's `forward`) is kept as it is.
    const forward = model.forward?.bind(model);
    return {
      info: model.info,
      ...(forward ? { forward } : {}),
      stream(req, signal) {
        return new TimedStream(model.stream(req, signal)[Symbol.asyncIterator](), signal, callObserver(name, provider));
      },
    };
  }

  function instrumentTool<T extends BuiltinTool>(tool: T): T {
    return {
      ...tool,
      async execute(call, ctx, progress) {
        try {
          const result = await tool.execute(call, ctx, progress as never);
          toolCalls.labels(tool.type, 'completed').inc();
          return result;
        } catch (err) {
          toolCalls.labels(tool.type, 'failed').inc();
          throw err;
        }
      },
    } as T;
  }

  return {
    observeRun(project, run) {
      if (run.status === 'requires_action') {
        toolCalls.labels('function', 'requested').inc(run.required_action?.submit_tool_outputs.tool_calls.length ?? 0);
        return;
      }
      if (!ENDINGS.has(run.status)) return;
      const model = modelLabel(run.model);
      runs.labels(run.status, model).inc();
      runSeconds.labels(run.status, model).observe(Math.max(0, Date.now() / 1000 - run.created_at));
      if (run.usage) {
        tokens.labels(model, project, 'prompt').inc(run.usage.prompt_tokens);
        tokens.labels(model, project, 'completion').inc(run.usage.completion_tokens);
      }
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
  };
}

interface CallObserver {
  firstToken(seconds: number): void;
  ended(outcome: 'ok' | 'error' | 'aborted', seconds: number): void;
}

/**
 * A model call's events passed through as they are, timed on the way: the first text or tool-call delta, and the
 * end (read to the finish, failed, or left early). An iterator rather than an async generator, which would cost
 * a generator step and its promises per event.
 */
class TimedStream implements AsyncIterableIterator<ChatEvent> {
  private readonly started = performance.now();
  private waiting = true;
  private over = false;

  constructor(private readonly inner: AsyncIterator<ChatEvent>, private readonly signal: AbortSignal, private readonly observer: CallObserver) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<ChatEvent>> {
    return this.inner.next().then(
      (result) => {
        if (result.done) this.end('ok');
        else if (this.waiting && (result.value.type === 'text' || result.value.type === 'tool_call')) {
          this.waiting = false;
          this.observer.firstToken((performance.now() - this.started) / 1000);
        }
        return result;
      },
      (err: unknown) => {
        this.end('error');
        throw err;
      },
    );
  }

  return(): Promise<IteratorResult<ChatEvent>> {
    this.end('error');
    return this.inner.return ? this.inner.return() : Promise.resolve({ value: undefined, done: true });
  }

  private end(outcome: 'ok' | 'error'): void {
    if (this.over) return;
    this.over = true;
    this.observer.ended(this.signal.aborted ? 'aborted' : outcome, (performance.now() - this.started) / 1000);
  }
}
