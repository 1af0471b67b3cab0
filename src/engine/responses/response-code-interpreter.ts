import type { ContainerFileObject, ContainerObject } from '../../domain/containers.js';
import { ID_PREFIX, newId } from '../../domain/ids.js';
import type { CodeInterpreterCallItem, ResponseCodeInterpreterTool, ResponseItem, ResponseObject } from '../../domain/responses.js';
import type { ChatTool } from '../../providers/chat-model.js';
import type { ExecuteResult } from '../../sandbox/sandbox.js';
import { codeFromArguments } from '../../tools/code-arguments.js';
import type { ContainerService } from '../../tools/containers/container-service.js';
import type { ResponseEventBody } from './response-output.js';

/** What the code_interpreter tool of responses runs on. */
export interface CodeInterpreterOptions {
  containers: ContainerService;
  /** Per-call limit; a longer call is stopped and its container's Python process restarted. */
  callTimeoutMs: number;
}

/** What one call of the model needs beyond the tool's settings. */
export interface CodeCallContext {
  outputIndex: number;
  emit: (event: ResponseEventBody) => void;
  signal: AbortSignal;
}

/** A finished call: its item and the tool message the model gets. */
export type CodeCallDone = { item: CodeInterpreterCallItem; forModel: string } | { item: CodeInterpreterCallItem; error: unknown };

const LIBRARIES = 'numpy, pandas, matplotlib, scipy, scikit-learn, seaborn, statsmodels, sympy, openpyxl, python-docx, reportlab, pillow';
/** How much of a call's logs the model is shown. */
const MAX_MODEL_CHARS = 16_000;
const ERRORS_OUTSIDE_PYTHON = new Set(['Timeout', 'SandboxCrash', 'InputFileError', 'Cancelled']);

/** The function offered to the model for the tool. */
export function codeInterpreterFunction(): ChatTool {
  const description = [
    'Runs Python 3 code in a stateful container: variables, imports and files persist between calls while the container lives.',
    `Installed: ${LIBRARIES} and the standard library. There is no internet access and nothing else can be installed.`,
    "The working directory is /mnt/data, which holds the user's files (list them with os.listdir('/mnt/data')).",
    'Charts shown with plt.show() (or left open) are displayed to the user as images.',
    'Files you write under /mnt/data are saved for the user; link them in your reply as [name](sandbox:/mnt/data/<name>).',
    'The value of the last expression is printed. Use print() for anything else you need to see.',
  ].join('\n');
  const parameters = { type: 'object', properties: { code: { type: 'string', description: 'The Python code to run.' } }, required: ['code'], additionalProperties: false };
  return { type: 'function', function: { name: 'code_interpreter', description, parameters } };
}

/** The container the last code_interpreter call of the context ran in, which an `auto` tool continues. */
export function lastContainerOf(items: ResponseItem[]): string | undefined {
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i]!;
    if (item.type === 'code_interpreter_call') return item.container_id;
  }
  return undefined;
}

/** How an earlier call is shown to the model in a later response. */
export function replayCodeInterpreterCall(item: CodeInterpreterCallItem): string {
  if (!item.outputs) return `This code ran in container ${item.container_id} in an earlier turn; its output is not kept (the answer that followed used it).`;
  let figures = 0;
  const parts = item.outputs.map((o) => (o.type === 'logs' ? clip(o.logs) : `[figure ${++figures} is shown to the user]`));
  return parts.length > 0 ? parts.join('\n') : 'The code ran and printed nothing.';
}

function clip(text: string): string {
  if (text.length <= MAX_MODEL_CHARS) return text;
  const half = MAX_MODEL_CHARS / 2;
  return `${text.slice(0, half)}\n[… ${text.length - MAX_MODEL_CHARS} characters left out …]\n${text.slice(-half)}`;
}

function logsOf(result: ExecuteResult): string {
  let logs = result.logs;
  if (result.error && ERRORS_OUTSIDE_PYTHON.has(result.error.name)) logs += `${logs && !logs.endsWith('\n') ? '\n' : ''}[${result.error.name}: ${result.error.message}]`;
  return logs;
}

const nameOf = (file: ContainerFileObject) => file.path.replace(/^\/mnt\/data\//, '');

/**
 * The code_interpreter calls of one response. The container is found when the model first runs code: the one
 * the tool names, or (`auto`) the one the conversation or chain last used while it lives, else a new one; the
 * model is told when an earlier container has expired and its state is gone.
 */
export class CodeInterpreterCalls {
  private container: ContainerObject | undefined;
  /** Files of the containers used, by name in /mnt/data, for the answer's citations. */
  readonly files = new Map<string, ContainerFileObject>();

  constructor(
    private readonly options: CodeInterpreterOptions,
    private readonly tool: ResponseCodeInterpreterTool,
    private readonly project: string,
    private readonly responseId: string,
    /** The container of the last call in the context, if any. */
    private readonly earlier: string | undefined,
  ) {}

  /** Runs one call the model made, streaming the hosted events. */
  async run(args: string, ctx: CodeCallContext): Promise<CodeCallDone> {
    const parsed = codeFromArguments(args);
    const code = 'code' in parsed ? parsed.code : args;
    const item: CodeInterpreterCallItem = { id: newId(ID_PREFIX.codeInterpreterCall), type: 'code_interpreter_call', status: 'in_progress', code: '', container_id: '', outputs: null };
    let note: string;
    try {
      ({ note } = await this.resolve());
    } catch (error) {
      return this.fail(item, ctx, code, error);
    }
    const container = this.container!;
    item.container_id = container.id;
    const at = { item_id: item.id, output_index: ctx.outputIndex };
    ctx.emit({ type: 'response.output_item.added', output_index: ctx.outputIndex, item: { ...item } });
    ctx.emit({ type: 'response.code_interpreter_call.in_progress', ...at });
    if (code) ctx.emit({ type: 'response.code_interpreter_call_code.delta', ...at, delta: code });
    item.code = code;
    ctx.emit({ type: 'response.code_interpreter_call_code.done', ...at, code });
    item.status = 'interpreting';
    ctx.emit({ type: 'response.code_interpreter_call.interpreting', ...at });
    if ('error' in parsed) return this.finish(item, ctx, [{ type: 'logs', logs: parsed.error }], [], note);
    try {
      const run = await this.options.containers.run(this.project, container.id, { code: parsed.code, timeoutMs: this.options.callTimeoutMs, signal: ctx.signal });
      for (const file of await this.options.containers.files.all(this.project, container.id)) this.files.set(nameOf(file), file);
      const logs = logsOf(run.result);
      const outputs: NonNullable<CodeInterpreterCallItem['outputs']> = [
        ...(logs ? [{ type: 'logs' as const, logs }] : []),
        ...run.result.images.map((png) => ({ type: 'image' as const, url: `data:image/png;base64,${png.toString('base64')}` })),
      ];
      return this.finish(item, ctx, outputs, run.files, note);
    } catch (error) {
      item.status = 'failed';
      ctx.emit({ type: 'response.output_item.done', output_index: ctx.outputIndex, item });
      return { item, error };
    }
  }

  private finish(item: CodeInterpreterCallItem, ctx: CodeCallContext, outputs: NonNullable<CodeInterpreterCallItem['outputs']>, saved: ContainerFileObject[], note: string): CodeCallDone {
    // Kept always, for later model calls; a client sees them with `include` (see response-includes.ts).
    item.outputs = outputs;
    item.status = 'completed';
    const at = { item_id: item.id, output_index: ctx.outputIndex };
    ctx.emit({ type: 'response.code_interpreter_call.completed', ...at });
    ctx.emit({ type: 'response.output_item.done', output_index: ctx.outputIndex, item });
    let figures = 0;
    const parts = [
      ...(note ? [`[${note}]`] : []),
      ...outputs.map((o) => (o.type === 'logs' ? clip(o.logs) : `[figure ${++figures} is shown to the user]`)),
      ...saved.map((f) => `[saved ${f.path}; link it as sandbox:${f.path}]`),
    ];
    return { item, forModel: parts.length > 0 ? parts.join('\n') : 'The code ran and printed nothing.' };
  }

  /** A container that cannot be used (the named one expired or was deleted): the call fails, the model is told why. */
  private fail(item: CodeInterpreterCallItem, ctx: CodeCallContext, code: string, error: unknown): CodeCallDone {
    const message = (error as Error)?.message ?? String(error);
    Object.assign(item, { code, status: 'failed', container_id: typeof this.tool.container === 'string' ? this.tool.container : '' });
    ctx.emit({ type: 'response.output_item.added', output_index: ctx.outputIndex, item: { ...item, status: 'in_progress' } });
    ctx.emit({ type: 'response.output_item.done', output_index: ctx.outputIndex, item });
    return { item, forModel: `The code did not run: ${message}` };
  }

  /** Finds (or makes) the container; `note` tells the model about state it had and lost. */
  private async resolve(): Promise<{ note: string }> {
    const { containers } = this.options;
    if (this.container && (await containers.find(this.project, this.container.id))?.status === 'running') return { note: '' };
    const spec = this.tool.container;
    if (typeof spec === 'string') {
      this.container = await containers.getRunning(this.project, spec);
      return { note: '' };
    }
    const lost = this.container?.id ?? this.earlier;
    const earlier = this.container ? undefined : this.earlier && (await containers.find(this.project, this.earlier));
    if (earlier && earlier.status === 'running') {
      this.container = earlier;
      // Files the tool names that the container does not have yet (given in a later turn) are copied in.
      await containers.copyMissing(this.project, earlier, spec.file_ids ?? []);
      return { note: '' };
    }
    this.container = await containers.create(this.project, {
      name: `Container for ${this.responseId}`,
      ...(spec.file_ids ? { file_ids: spec.file_ids } : {}),
      ...(spec.memory_limit ? { memory_limit: spec.memory_limit } : {}),
    });
    if (!lost) return { note: '' };
    return { note: `Container ${lost} has expired (or was deleted), so variables, imports and files from earlier calls are gone: this code runs in a fresh container (${this.container.id}); the user's files were copied in again.` };
  }
}

/** The code_interpreter calls of a response that has the tool; `history` is its context and input. */
export function codeInterpreterCalls(options: CodeInterpreterOptions | undefined, project: string, response: ResponseObject, history: ResponseItem[]): CodeInterpreterCalls | undefined {
  const tool = response.tools.find((t): t is ResponseCodeInterpreterTool => t.type === 'code_interpreter');
  if (!tool || !options) return undefined;
  return new CodeInterpreterCalls(options, tool, project, response.id, lastContainerOf(history));
}
