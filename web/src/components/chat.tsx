import { useEffect, useRef, useState } from 'preact/hooks';
import type { Assistant, Run } from '../../../src/domain/types';
import type { ApiClient } from '../api/client';
import type { ThreadState } from '../state/use-thread';
import { messageBody, useComposerAttachments } from '../state/composer-attachments';
import { AttachButton, AttachmentChips } from './composer-attachments';
import { MessageView } from './message-view';
import { ToolOutputsForm } from './tool-outputs-form';

const ENDED_BADLY = ['failed', 'cancelled', 'expired', 'incomplete'];

function RunNotice({ run }: { run: Run }) {
  const reason = run.last_error ? `${run.last_error.message} (${run.last_error.code})` : run.incomplete_details ? `stopped: ${run.incomplete_details.reason}` : '';
  return (
    <p class={`run-notice status-${run.status}`} role="status">
      Run {run.status}
      {reason && `: ${reason}`}
    </p>
  );
}

interface Props {
  client: ApiClient;
  thread: ThreadState;
  assistant: Assistant | null;
  onShowRun(runId: string): void;
}

/** The conversation, the function-call form when a run waits for outputs, and the message box. */
export function Chat({ client, thread, assistant, onShowRun }: Props) {
  const [text, setText] = useState('');
  const attachments = useComposerAttachments(client);
  const [dragging, setDragging] = useState(false);
  const list = useRef<HTMLDivElement>(null);
  const { view, busy } = thread;
  const lastRun = view.runs[view.runs.length - 1];
  const waiting = lastRun?.status === 'requires_action' ? lastRun : null;
  const running = thread.activeRun && thread.activeRun.status !== 'requires_action' ? thread.activeRun : null;

  useEffect(() => {
    const el = list.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [view.messages, waiting, busy]);

  const blocked = busy !== null || Boolean(thread.activeRun) || attachments.uploading;
  const hasInput = text.trim() !== '' || attachments.ready.length > 0;
  const canRun = Boolean(assistant) && !blocked && (hasInput || view.messages.some((m) => m.role === 'user'));

  function submit(run: boolean) {
    if (run ? !canRun : blocked || !hasInput) return;
    const value = text;
    const body = messageBody(value, attachments.ready);
    setText('');
    attachments.clear();
    void thread.send(value, assistant?.id ?? null, run, { body, empty: !hasInput });
  }

  return (
    <div class="chat">
      <div class="chat-head">
        <span class="chat-title">{assistant ? assistant.name || assistant.id : 'No assistant yet: create one to chat'}</span>
        {view.threadId && <code class="muted thread-id">{view.threadId}</code>}
        <button type="button" class="ghost" onClick={() => void thread.clear()} disabled={view.messages.length === 0 || blocked}>
          Clear chat
        </button>
      </div>
      <div class="messages" ref={list} aria-live="polite" aria-busy={busy === 'loading'}>
        {view.messages.length === 0 && busy !== 'loading' && <p class="empty">Messages you add appear here. Enter sends and runs; Shift+Enter adds a line.</p>}
        {view.messages.map((m) => (
          <MessageView key={m.id} client={client} message={m} onShowRun={onShowRun} />
        ))}
        {busy === 'streaming' && running && !view.messages.some((m) => m.status === 'in_progress') && (
          <p class="run-notice" role="status">Run {running.status.replace('_', ' ')}…</p>
        )}
        {lastRun && ENDED_BADLY.includes(lastRun.status) && <RunNotice run={lastRun} />}
        {view.streamError && <p class="error" role="alert">{view.streamError}</p>}
        {thread.error && <p class="error" role="alert">{thread.error}</p>}
      </div>
      {waiting && (
        <ToolOutputsForm
          key={waiting.id}
          caller="The assistant"
          calls={(waiting.required_action?.submit_tool_outputs.tool_calls ?? []).map((c) => ({ id: c.id, name: c.function.name, arguments: c.function.arguments }))}
          busy={busy !== null}
          onSubmit={(outputs) => void thread.submitToolOutputs(waiting, outputs)}
        />
      )}
      <form
        class={`composer${dragging ? ' dragging' : ''}`}
        onSubmit={(e) => {
          e.preventDefault();
          submit(true);
        }}
        onDragOver={(e) => {
          if (!e.dataTransfer?.types.includes('Files')) return;
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          setDragging(false);
          const files = [...(e.dataTransfer?.files ?? [])];
          if (!files.length) return;
          e.preventDefault();
          void attachments.add(files);
        }}
      >
        <AttachmentChips attachments={attachments} />
        <textarea
          aria-label="Message"
          rows={3}
          value={text}
          placeholder={assistant ? 'Message the assistant…' : 'Create an assistant first'}
          onInput={(e) => setText(e.currentTarget.value)}
          onPaste={(e) => {
            const files = [...(e.clipboardData?.files ?? [])];
            if (!files.length) return;
            e.preventDefault();
            void attachments.add(files);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
              e.preventDefault();
              submit(true);
            }
          }}
        />
        <div class="composer-actions">
          <AttachButton onFiles={(files) => void attachments.add(files)} disabled={busy !== null} />
          {running && (
            <button type="button" class="ghost" onClick={() => void thread.cancel(running)}>
              Cancel run
            </button>
          )}
          <button type="button" onClick={() => submit(false)} disabled={blocked || !hasInput}>
            Add message
          </button>
          <button type="submit" class="primary" disabled={!canRun}>
            {hasInput ? 'Add and run' : 'Run'}
          </button>
        </div>
      </form>
    </div>
  );
}
