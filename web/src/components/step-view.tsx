import type { RunStep, StepToolCall } from '../../../src/domain/types';
import type { ApiClient } from '../api/client';
import { FileImage } from './file-bits';
import { highlight } from './markdown';
import { seconds } from './time-format';

function pretty(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function CodeInterpreterCall({ client, call }: { client: ApiClient; call: Extract<StepToolCall, { type: 'code_interpreter' }> }) {
  return (
    <div class="tool-call-detail">
      <h4>Code interpreter</h4>
      <pre class="code-block">
        <code class="hljs" dangerouslySetInnerHTML={{ __html: highlight(call.code_interpreter.input, 'python') }} />
      </pre>
      {call.code_interpreter.outputs.map((output, i) =>
        output.type === 'logs' ? (
          <pre class="logs" key={i} aria-label="Output logs">{output.logs}</pre>
        ) : (
          <FileImage key={i} client={client} fileId={output.image.file_id} alt="Code interpreter output image" />
        ),
      )}
    </div>
  );
}

function FileSearchCall({ call }: { call: Extract<StepToolCall, { type: 'file_search' }> }) {
  const results = call.file_search.results ?? [];
  const ranking = call.file_search.ranking_options;
  return (
    <div class="tool-call-detail">
      <h4>File search</h4>
      {ranking && <p class="muted">ranker {ranking.ranker}, score threshold {ranking.score_threshold}</p>}
      {results.length === 0 ? (
        <p class="muted">No results.</p>
      ) : (
        <ol class="search-results">
          {results.map((r, i) => (
            <li key={i}>
              <span class="file-name">{r.file_name}</span> <span class="score" title="score">{r.score.toFixed(3)}</span>
              {r.content?.map((c, j) => <blockquote key={j}>{c.text.length > 400 ? `${c.text.slice(0, 400)}…` : c.text}</blockquote>)}
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}

function FunctionCall({ call }: { call: Extract<StepToolCall, { type: 'function' }> }) {
  return (
    <div class="tool-call-detail">
      <h4>
        Function <code>{call.function.name}</code>
      </h4>
      <pre class="arguments">{pretty(call.function.arguments)}</pre>
      <p class="muted">Output</p>
      <pre class="logs">{call.function.output ?? '(waiting for output)'}</pre>
    </div>
  );
}

/** One run step: what the model did (a message, or tool calls with their inputs and outputs), status and cost. */
export function StepView({ client, step }: { client: ApiClient; step: RunStep }) {
  const details = step.step_details;
  const ended = step.completed_at ?? step.failed_at ?? step.cancelled_at ?? step.expired_at;
  return (
    <li class={`step status-${step.status}`} data-step-type={details.type}>
      <header class="step-head">
        <strong>{details.type === 'message_creation' ? 'Message' : 'Tool calls'}</strong>
        <span class={`badge status-${step.status}`}>{step.status.replace('_', ' ')}</span>
        {ended != null && <span class="muted">{seconds(ended - step.created_at)}</span>}
        {step.usage && <span class="muted">{step.usage.total_tokens} tokens</span>}
      </header>
      {details.type === 'message_creation' ? (
        <p class="muted">
          wrote <code>{details.message_creation.message_id}</code>
        </p>
      ) : (
        details.tool_calls.map((call) =>
          call.type === 'code_interpreter' ? (
            <CodeInterpreterCall key={call.id} client={client} call={call} />
          ) : call.type === 'file_search' ? (
            <FileSearchCall key={call.id} call={call} />
          ) : (
            <FunctionCall key={call.id} call={call} />
          ),
        )
      )}
      {step.last_error && (
        <p class="error">
          {step.last_error.code}: {step.last_error.message}
        </p>
      )}
    </li>
  );
}
