import type { ApiClient } from '../api/client';
import type { Response } from '../state/conversation-view';
import type { ConversationState } from '../state/use-conversation';
import { ItemDetail } from './item-view';
import { clock, seconds } from './time-format';

interface Props {
  client: ApiClient;
  conversation: ConversationState;
  response: Response | null;
  onSelect(id: string): void;
}

function Facts({ response }: { response: Response }) {
  return (
    <dl class="facts">
      <dt>Created</dt>
      <dd>{clock(response.created_at)}</dd>
      {response.completed_at != null && (
        <>
          <dt>Took</dt>
          <dd>{seconds(response.completed_at - response.created_at)}</dd>
        </>
      )}
      {response.usage && (
        <>
          <dt>Tokens</dt>
          <dd>
            {response.usage.input_tokens} input + {response.usage.output_tokens} output = <strong>{response.usage.total_tokens}</strong>
          </dd>
        </>
      )}
      <dt>Model</dt>
      <dd>
        <code>{response.model}</code>
      </dd>
      {response.tools.length > 0 && (
        <>
          <dt>Tools</dt>
          <dd>{response.tools.map((t) => (t.type === 'function' ? t.name : t.type)).join(', ')}</dd>
        </>
      )}
    </dl>
  );
}

/** The selected response (the latest by default): status, timing, usage, error and each output item in order. */
export function ResponsePanel({ client, conversation, response, onSelect }: Props) {
  const { responses, items } = conversation.view;
  if (!response) {
    return (
      <div class="run-panel response-panel">
        <h2>Response details</h2>
        <p class="empty">Each response's output items (messages, tool calls and their results), timing and token usage show here.</p>
      </div>
    );
  }
  return (
    <div class="run-panel response-panel">
      <h2>Response details</h2>
      {responses.length > 1 && (
        <label class="run-select">
          <span class="visually-hidden">Response</span>
          <select value={response.id} onChange={(e) => onSelect(e.currentTarget.value)}>
            {responses.map((r, i) => (
              <option value={r.id} key={r.id}>
                Response {i + 1} · {r.status} · {clock(r.created_at)}
              </option>
            ))}
          </select>
        </label>
      )}
      <p class="run-id">
        <span class={`badge status-${response.status}`} data-response-status={response.status}>{response.status.replace('_', ' ')}</span> <code>{response.id}</code>
      </p>
      {response.error && (
        <div class="error" role="alert">
          <strong>error</strong> <code>{response.error.code}</code>: {response.error.message}
        </div>
      )}
      {response.incomplete_details && <p class="error">Incomplete: {response.incomplete_details.reason}</p>}
      <Facts response={response} />
      <h3>Output</h3>
      {response.output.length === 0 ? (
        <p class="muted">{response.status === 'in_progress' || response.status === 'queued' ? 'No output yet.' : 'No output.'}</p>
      ) : (
        <ol class="steps">
          {response.output.map((item, i) => <ItemDetail key={item.id ?? i} client={client} item={item} items={items} />)}
        </ol>
      )}
    </div>
  );
}
