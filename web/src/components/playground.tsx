import { useState } from 'preact/hooks';
import type { ApiClient } from '../api/client';
import type { Capabilities } from '../api/capabilities';
import { useAssistants } from '../state/use-assistants';
import { useThread } from '../state/use-thread';
import { AssistantPane } from './assistant-pane';
import { Chat } from './chat';
import { CodeDialog } from './code-dialog';
import { RunPanel } from './run-panel';
import { ThreadBar } from './thread-bar';

type Pane = 'assistant' | 'chat' | 'run';
const PANES: Array<[Pane, string]> = [['assistant', 'Assistant'], ['chat', 'Chat'], ['run', 'Run']];

interface Props {
  client: ApiClient;
  capabilities: Capabilities;
  hasKey: boolean;
  onForgetKey(): void;
}

/** The page: assistant settings, the chat and the run details side by side, or as tabs on a narrow screen. */
export function Playground({ client, capabilities, hasKey, onForgetKey }: Props) {
  const assistants = useAssistants(client, capabilities);
  const thread = useThread(client);
  const [pane, setPane] = useState<Pane>('chat');
  const [selectedRunId, setSelectedRunId] = useState<string | null>(null);
  const [codeOpen, setCodeOpen] = useState(false);

  const runs = thread.view.runs;
  const shownRun = runs.find((r) => r.id === selectedRunId) ?? runs[runs.length - 1] ?? null;

  return (
    <div class="shell" data-pane={pane}>
      <header class="topbar">
        <h1 class="brand">
          assistd <span>playground</span>
        </h1>
        <ThreadBar thread={thread} onSwitch={() => setSelectedRunId(null)} />
        <div class="topbar-actions">
          <button type="button" onClick={() => setCodeOpen(true)} disabled={!assistants.selected}>
            View code
          </button>
          {hasKey && (
            <button type="button" class="ghost" onClick={onForgetKey} title="Remove the API key from this browser">
              Forget key
            </button>
          )}
        </div>
      </header>
      <nav class="pane-tabs" role="tablist" aria-label="Panels">
        {PANES.map(([id, label]) => (
          <button type="button" role="tab" aria-selected={pane === id} class={pane === id ? 'active' : ''} onClick={() => setPane(id)} key={id}>
            {label}
          </button>
        ))}
      </nav>
      <main class="panes">
        <section class="pane pane-assistant" aria-label="Assistant settings">
          <AssistantPane client={client} assistants={assistants} capabilities={capabilities} />
        </section>
        <section class="pane pane-chat" aria-label="Chat">
          <Chat client={client} thread={thread} assistant={assistants.selected} onShowRun={(id) => { setSelectedRunId(id); setPane('run'); }} />
        </section>
        <section class="pane pane-run" aria-label="Run details">
          <RunPanel client={client} thread={thread} run={shownRun} onSelectRun={setSelectedRunId} />
        </section>
      </main>
      {codeOpen && assistants.selected && (
        <CodeDialog assistant={assistants.selected} threadId={thread.view.threadId} messages={thread.view.messages} baseUrl={client.base} onClose={() => setCodeOpen(false)} />
      )}
    </div>
  );
}
