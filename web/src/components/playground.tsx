import { useEffect, useRef, useState } from 'preact/hooks';
import type { ApiClient } from '../api/client';
import type { Capabilities } from '../api/capabilities';
import { useAssistants } from '../state/use-assistants';
import { pagePath, routePath, useRoute, type Route } from '../state/route';
import { FilesPage } from './files-page';
import { StoresPage } from './stores-page';
import { useThread } from '../state/use-thread';
import { AssistantPane } from './assistant-pane';
import { Chat } from './chat';
import { CodeDialog } from './code-dialog';
import { RunPanel } from './run-panel';
import { ThreadBar } from './thread-bar';

type Pane = 'assistant' | 'chat' | 'run';
const SECTIONS: Array<['chat' | 'stores' | 'files', string]> = [['chat', 'Chat'], ['stores', 'Vector stores'], ['files', 'Files']];
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
  const { route, page, navigate, go } = useRoute();
  const onChat = page.page === 'chat';
  const [pane, setPane] = useState<Pane>('chat');
  const [selectedRunId, setSelectedRunId] = useState<string | null>(null);
  const [codeOpen, setCodeOpen] = useState(false);

  // The address leads: opening a link, a reload, back and forward select the assistant and open the thread.
  // `applied` is the place last taken from the address or written to it; only a change away from it (the person
  // picked something, or the first message made a thread) is written back, so a render that still shows a place
  // just left (after a quick back-back) writes nothing.
  const applied = useRef<Route>(route);
  useEffect(() => {
    if (!onChat) return;
    if (route.assistantId && route.assistantId !== assistants.currentId()) assistants.select(route.assistantId);
    if (route.threadId !== thread.currentId()) {
      setSelectedRunId(null);
      if (route.threadId) void thread.open(route.threadId);
      else thread.startNew();
    }
    applied.current = { assistantId: route.assistantId ?? assistants.currentId(), threadId: route.threadId };
  }, [onChat, route.assistantId, route.threadId]);
  const selectedId = assistants.selected?.id ?? null;
  useEffect(() => {
    if (!assistants.loaded || !onChat) return;
    const now: Route = { assistantId: assistants.currentId(), threadId: thread.currentId() };
    if (now.assistantId === applied.current.assistantId && now.threadId === applied.current.threadId) return;
    // Filling in the default assistant of a bare address replaces it rather than adding a step to go back through.
    const filling = !applied.current.assistantId && !applied.current.threadId;
    applied.current = now;
    navigate(now, filling);
  }, [assistants.loaded, selectedId, thread.view.threadId]);

  const runs = thread.view.runs;
  const shownRun = runs.find((r) => r.id === selectedRunId) ?? runs[runs.length - 1] ?? null;

  return (
    <div class="shell" data-pane={pane}>
      <header class="topbar">
        <h1 class="brand">
          assistd <span>playground</span>
        </h1>
        <nav class="sections" aria-label="Sections">
          {SECTIONS.map(([id, label]) => (
            <a
              key={id}
              href={id === 'chat' ? routePath({ assistantId: assistants.currentId(), threadId: thread.currentId() }) : pagePath(id === 'files' ? { page: 'files' } : { page: 'stores', storeId: null })}
              aria-current={page.page === id ? 'page' : undefined}
              onClick={(e) => {
                e.preventDefault();
                if (id === 'chat') navigate({ assistantId: assistants.currentId(), threadId: thread.currentId() });
                else go(pagePath(id === 'files' ? { page: 'files' } : { page: 'stores', storeId: null }));
              }}
            >
              {label}
            </a>
          ))}
        </nav>
        {onChat && <ThreadBar client={client} capabilities={capabilities} thread={thread} onSwitch={() => setSelectedRunId(null)} />}
        <div class="topbar-actions">
          {onChat && (
            <button type="button" onClick={() => setCodeOpen(true)} disabled={!assistants.selected}>
              View code
            </button>
          )}
          {hasKey && (
            <button type="button" class="ghost" onClick={onForgetKey} title="Remove the API key from this browser">
              Forget key
            </button>
          )}
        </div>
      </header>
      {page.page === 'stores' && <StoresPage client={client} storeId={page.storeId} onOpen={(storeId) => go(pagePath({ page: 'stores', storeId }))} />}
      {page.page === 'files' && <FilesPage client={client} />}
      <nav class="pane-tabs" role="tablist" aria-label="Panels" hidden={!onChat}>
        {PANES.map(([id, label]) => (
          <button type="button" role="tab" aria-selected={pane === id} class={pane === id ? 'active' : ''} onClick={() => setPane(id)} key={id}>
            {label}
          </button>
        ))}
      </nav>
      {/* The chat stays mounted on the other pages, so coming back finds it as it was. */}
      <main class="panes" hidden={!onChat}>
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
        <CodeDialog variants={assistantSnippets({ baseUrl: client.base, assistant: assistants.selected, threadId: thread.view.threadId, messages: thread.view.messages })} onClose={() => setCodeOpen(false)} />
      )}
    </div>
  );
}
