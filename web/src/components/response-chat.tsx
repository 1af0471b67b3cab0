import { useEffect, useRef } from 'preact/hooks';
import type { MessageItem } from '../../../src/domain/responses';
import type { ApiClient } from '../api/client';
import { pendingCalls } from '../state/conversation-view';
import type { RequestParams } from '../state/response-settings';
import type { ConversationState } from '../state/use-conversation';
import { MessageItemView, ToolItemLine } from './item-view';
import { ToolOutputsForm } from './tool-outputs-form';

interface Props {
  client: ApiClient;
  conversation: ConversationState;
  params: RequestParams;
  /** The composer's text, kept by the page so "View code" can show it. */
  text: string;
  onText(text: string): void;
  onShowResponse(): void;
}

/** The conversation's items in order, the function-call form while calls wait for outputs, and the input box. */
export function ResponseChat({ client, conversation, params, text, onText, onShowResponse }: Props) {
  const list = useRef<HTMLDivElement>(null);
  const { view, busy } = conversation;
  const waiting = busy === null ? pendingCalls(view.items) : [];
  const last = view.responses[view.responses.length - 1];

  useEffect(() => {
    const el = list.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [view.items, busy, waiting.length]);

  const canSend = params.ok && busy === null && waiting.length === 0 && text.trim() !== '';
  function submit() {
    if (!canSend || !params.ok) return;
    const value = text;
    onText('');
    // The failed turn is not in the conversation: what was typed comes back to the box to send again.
    void conversation.send(value, params.params, () => onText(value));
  }

  return (
    <div class="chat">
      <div class="chat-head">
        <span class="chat-title">Responses</span>
        {view.conversationId && <code class="muted conversation-id">{view.conversationId}</code>}
        {last && (
          <button type="button" class="link" onClick={onShowResponse}>
            response details
          </button>
        )}
      </div>
      <div class="messages" ref={list} aria-live="polite" aria-busy={busy === 'loading'}>
        {view.items.length === 0 && busy !== 'loading' && <p class="empty">Each turn creates a response in this conversation. Enter sends; Shift+Enter adds a line.</p>}
        {view.items.map((item) => (item.type === 'message' ? <MessageItemView key={item.id} client={client} item={item as MessageItem} /> : <ToolItemLine key={item.id} client={client} item={item} />))}
        {busy === 'streaming' && last?.status === 'in_progress' && !view.items.some((i) => i.type === 'message' && i.status === 'in_progress') && (
          <p class="run-notice" role="status">Response in progress…</p>
        )}
        {last && ['failed', 'incomplete', 'cancelled'].includes(last.status) && (
          <p class={`run-notice status-${last.status}`} role="status">
            Response {last.status}
            {last.error ? `: ${last.error.message} (${last.error.code})` : last.incomplete_details ? `: stopped: ${last.incomplete_details.reason}` : ''}
          </p>
        )}
        {view.streamError && <p class="error" role="alert">{view.streamError}</p>}
        {conversation.error && <p class="error" role="alert">{conversation.error}</p>}
      </div>
      {waiting.length > 0 && (
        <ToolOutputsForm
          key={waiting.map((c) => c.call_id).join()}
          caller="The model"
          calls={waiting.map((c) => ({ id: c.call_id, name: c.name, arguments: c.arguments }))}
          busy={busy !== null || !params.ok}
          onSubmit={(outputs) => {
            if (!params.ok) return;
            void conversation.send(outputs.map((o) => ({ type: 'function_call_output', call_id: o.tool_call_id, output: o.output })), params.params);
          }}
        />
      )}
      <form
        class="composer"
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <textarea
          aria-label="Input"
          rows={3}
          value={text}
          placeholder="Message the model…"
          onInput={(e) => onText(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
              e.preventDefault();
              submit();
            }
          }}
        />
        <div class="composer-actions">
          <button type="submit" class="primary" disabled={!canSend}>
            Send
          </button>
        </div>
      </form>
    </div>
  );
}
