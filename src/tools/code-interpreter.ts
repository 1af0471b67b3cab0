import { access } from 'node:fs/promises';
import type { CodeInterpreterOutput, MessageContent, StepCodeInterpreterToolCall } from '../domain/types.js';
import type { ChatTool } from '../providers/chat-model.js';
import type { ExecuteRequest, ExecuteResult, Sandbox, SandboxFileIn } from '../sandbox/sandbox.js';
import type { BuiltinTool, MessageTouches, ToolContext } from './builtin-tool.js';
import type { ContainerService } from './containers/container-service.js';
import { codeFromArguments } from './code-arguments.js';
import { codeInterpreterInputs, type InputFile } from './code-interpreter-inputs.js';
import { saveOutputFile, saveOutputStream } from './output-files.js';
import { openLinkFrom, parseSavedFiles, sandboxLinkAnnotations, type SavedFile, savedFilesOutput } from './sandbox-links.js';

export interface CodeInterpreterToolOptions {
  sandbox: Sandbox;
  /** Where a thread's code session lives: a container the API does not show, one per thread. */
  containers: ContainerService;
  /** A thread's session (its container) ends after this long unused. */
  idleMinutes: number;
  /** Per-call limit; a longer call is stopped and its session's Python process restarted. */
  callTimeoutMs: number;
  /** Across replicas: records that this one holds the thread's session, and whether another held it before. */
  sessions?: { take(threadId: string, sessionKey: string): Promise<{ reset: boolean }> };
}

/** Told to the model when the thread's session lived on a replica that is gone (as the hosted service did after expiry). */
const SESSION_RESET_NOTE =
  'The code session of this conversation was reset because the server holding it stopped: variables, imports and files written by earlier calls are gone. Files attached to the conversation are in /mnt/data again.';

type Call = StepCodeInterpreterToolCall;

const LIBRARIES =
  'numpy, pandas, matplotlib, scipy, scikit-learn, seaborn, statsmodels, sympy, openpyxl, xlsxwriter, python-docx, reportlab, pillow, bs4 (BeautifulSoup), lxml';
/** Files listed by name in the tool description; more are summarised so the prompt stays small. */
const MAX_LISTED_FILES = 100;
/** How much of a call's logs is shown to the model again; the step keeps them whole. */
const MAX_REPLAY_CHARS = 16_000;
const ERRORS_OUTSIDE_PYTHON = new Set(['Timeout', 'SandboxCrash', 'InputFileError']);

function describe(inputs: InputFile[], timeoutSeconds: number): string {
  const lines = [
    'Runs Python 3 code in a stateful sandbox that belongs to this conversation: variables, imports and files persist between calls.',
    `Installed: ${LIBRARIES} and the standard library. There is no internet access and nothing else can be installed.`,
    'The working directory is /mnt/data. Charts shown with plt.show() (or left open) are displayed to the user as images.',
    'Files you write under /mnt/data are saved for the user; link them in your reply as [name](sandbox:/mnt/data/<name>).',
    'The value of the last expression is printed. Use print() for anything else you need to see.',
    `Each call may run for up to ${timeoutSeconds} seconds.`,
  ];
  if (inputs.length > 0) {
    lines.push('Files uploaded by the user, in /mnt/data:');
    for (const input of inputs.slice(0, MAX_LISTED_FILES)) lines.push(`- /mnt/data/${input.name} (${input.file.id})`);
    if (inputs.length > MAX_LISTED_FILES) lines.push(`- …and ${inputs.length - MAX_LISTED_FILES} more: list them with os.listdir('/mnt/data')`);
  }
  return lines.join('\n');
}

/** The call's logs output: what the code printed, plus what happened when the sandbox (not Python) stopped it. */
function logsOf(result: ExecuteResult, notes: string[]): string {
  let logs = result.logs;
  if (result.error && ERRORS_OUTSIDE_PYTHON.has(result.error.name)) {
    logs += `${logs && !logs.endsWith('\n') ? '\n' : ''}[${result.error.name}: ${result.error.message}]`;
  }
  for (const note of notes) logs += `${logs && !logs.endsWith('\n') ? '\n' : ''}[${note}]`;
  return logs;
}

function truncateForModel(text: string): string {
  if (text.length <= MAX_REPLAY_CHARS) return text;
  const half = MAX_REPLAY_CHARS / 2;
  return `${text.slice(0, half)}\n[… ${text.length - MAX_REPLAY_CHARS} characters left out …]\n${text.slice(-half)}`;
}

/** Host paths of the input files; a file whose bytes are gone is left out with a note rather than failing the call. */
async function placeable(inputs: InputFile[], ctx: ToolContext, notes: string[]): Promise<SandboxFileIn[]> {
  const files: SandboxFileIn[] = [];
  for (const input of inputs) {
    try {
      const path = await ctx.blobs.localPath(input.file.id);
      await access(path);
      files.push({ name: input.name, path });
    } catch {
      notes.push(`${input.file.id} (${input.name}) could not be read and is not in /mnt/data`);
    }
  }
  return files;
}

/**
 * How the sandbox hands over each file the code wrote: streamed straight into the blob store (the sandbox caps
 * their number and size and names what it left out in the logs).
 */
function fileSaver(ctx: ToolContext): NonNullable<ExecuteRequest['saveFile']> {
  return async (out) => {
    // A name that would break the one-line-per-file listing cannot be linked either.
    if (/[\u0000-\u001f\u007f]/.test(out.name)) throw new Error('its name has control characters');
    return (await saveOutputStream(ctx, out.name, out.content, out.size)).id;
  };
}

/** Stores the charts, and turns the result into the step's outputs. */
async function storeOutputs(result: ExecuteResult, ctx: ToolContext, notes: string[]): Promise<CodeInterpreterOutput[]> {
  const images: CodeInterpreterOutput[] = [];
  for (const [i, png] of result.images.entries()) {
    const file = await saveOutputFile(ctx, `figure-${i + 1}.png`, png);
    images.push({ type: 'image', image: { file_id: file.id } });
  }
  const saved: SavedFile[] = result.files.map((out) => ({ name: out.name, fileId: out.id }));
  const logs = logsOf(result, notes);
  return [...(logs ? [{ type: 'logs' as const, logs }] : []), ...images, ...(saved.length ? [savedFilesOutput(saved)] : [])];
}

/**
 * The progress report of a finished call. Clients add step deltas up (strings appended, array entries merged by
 * `index`), so this carries only the outputs, indexed as the hosted API sent them, and no input again.
 */
function outputsDelta(call: Call): Partial<Call> {
  const outputs = call.code_interpreter.outputs.map((output, index) => ({ index, ...output }));
  return { code_interpreter: { input: '', outputs } };
}

/** The code_interpreter tool: Python in the code session (hidden container) of the run's thread, charts and files out. */
export function createCodeInterpreterTool(options: CodeInterpreterToolOptions): BuiltinTool<Call> {
  const { sandbox, containers, idleMinutes, callTimeoutMs } = options;
  const timeoutSeconds = Math.round(callTimeoutMs / 100) / 10;

  return {
    type: 'code_interpreter',

    async definition(ctx): Promise<ChatTool> {
      const description = describe(await codeInterpreterInputs(ctx), timeoutSeconds);
      const parameters = {
        type: 'object',
        properties: { code: { type: 'string', description: 'The Python code to run.' } },
        required: ['code'],
        additionalProperties: false,
      };
      return { type: 'function', function: { name: 'code_interpreter', description, parameters } };
    },

    unavailable() {
      const status = sandbox.status();
      return status.available ? undefined : (status.reason ?? 'the code sandbox is not available on this server');
    },

    async execute(invocation, ctx, progress): Promise<Call> {
      const parsed = codeFromArguments(invocation.arguments);
      const input = 'code' in parsed ? parsed.code : invocation.arguments;
      const call = (outputs: CodeInterpreterOutput[]): Call => ({ id: invocation.id, type: 'code_interpreter', code_interpreter: { input, outputs } });
      progress({ code_interpreter: { input, outputs: [] } });
      if ('error' in parsed) {
        const failed = call([{ type: 'logs', logs: parsed.error }]);
        progress(outputsDelta(failed));
        return failed;
      }
      // SandboxUnavailableError propagates: the host cannot run code at all, which fails the run with its reason.
      const container = await containers.threadContainer(ctx.project, ctx.run.thread_id, idleMinutes);
      const notes: string[] = [];
      if ((await options.sessions?.take(ctx.run.thread_id, container.id))?.reset) notes.push(SESSION_RESET_NOTE);
      const files = await placeable(await codeInterpreterInputs(ctx), ctx, notes);
      const result = await containers.execute(ctx.project, container, { code: parsed.code, files, timeoutMs: callTimeoutMs, signal: ctx.signal, saveFile: fileSaver(ctx) });
      const done = call(await storeOutputs(result, ctx, notes));
      progress(outputsDelta(done));
      return done;
    },

    replay(call) {
      const parts: string[] = [];
      let figures = 0;
      for (const output of call.code_interpreter.outputs) {
        const saved = parseSavedFiles(output);
        if (saved) parts.push(...saved.map((f) => `[saved /mnt/data/${f.name}; link it as sandbox:/mnt/data/${f.name}]`));
        else if (output.type === 'logs') parts.push(truncateForModel(output.logs));
        else parts.push(`[figure ${++figures} is shown to the user]`);
      }
      return {
        arguments: JSON.stringify({ code: call.code_interpreter.input }),
        output: parts.length ? parts.join('\n') : 'The code ran and printed nothing.',
      };
    },

    forgetThread: (project, threadId) => containers.forgetThread(project, threadId),

    messageTouches(calls): MessageTouches {
      const files = new Map<string, string>();
      const imageIds = new Set<string>();
      for (const call of calls) {
        for (const output of call.code_interpreter.outputs) {
          for (const saved of parseSavedFiles(output) ?? []) files.set(saved.name, saved.fileId);
          if (output.type === 'image') imageIds.add(output.image.file_id);
        }
      }
      const parts: MessageContent[] = [...imageIds].map((file_id) => ({ type: 'image_file', image_file: { file_id } }));
      if (files.size === 0) return { parts, annotate: () => [], openFrom: (text) => text.length };
      return { parts, annotate: (text) => sandboxLinkAnnotations(text, files), openFrom: openLinkFrom };
    },
  };
}
