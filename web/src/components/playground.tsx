import { useEffect, useRef, useState } from 'preact/hooks';
import type { ApiClient } from '../api/client';
import type { Capabilities } from '../api/capabilities';
import { useAssistants } from '../state/use-assistants';
import { pagePath, routePath, useRoute, type Route } from '../state/route';
import { FilesPage } from './files-page';
import { StoresPage } from './stores-page';
import { useThread } from '../state/use-thread';
import { useConversation } from '../state/use-conversation';
import { useResponseSettings } from '../state/use-response-settings';
import { requestParams } from '../state/response-settings';
import { responseSnippets } from '../state/response-snippets';
import { lastUserText } from '../state/conversation-view';
import { assistantSnippets } from '../state/snippets';
import { AssistantPane } from './assistant-pane';
import { Chat } from './chat';
import { CodeDialog, type CodeVariant } from './code-dialog';
import { ConversationBar } from './conversation-bar';
import { ResponsesPage } from './responses-page';
import { RunPanel } from './run-panel';
import { ThreadBar } from './thread-bar';

type Pane = 'assistant' | 'chat' | 'run';
type Section = 'chat' | 'responses' | 'stores' | 'files';
const SECTIONS: Array<[Section, string]> = [['chat', 'Assistants'], ['responses', 'Responses'], ['stores', 'Vector stores'], ['files', 'Files']];
const PANES: Array<[Pane, string]> = [['assistant', 'Assistant'], ['chat', 'Chat'], ['run', 'Run']];
const RESPONSE_PANES: Array<[Pane, string]> = [['assistant', 'Settings'], ['chat', 'Chat'], ['run', 'Response']];

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
  const conversation = useConversation(client);
  const responseSettings = useResponseSettings(client, capabilities);
  const [responseText, setResponseText] = useState('');
  const { route, page, navigate, go } = useRoute();
  const onChat = page.page === 'chat';
  const onResponses = page.page === 'responses';
  const routeConversation = page.page === 'responses' ? page.conversationId : null;
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

  // The same for Responses mode: the address names the conversation; one the first turn made is written back.
  const appliedConversation = useRef<string | null>(routeConversation);
  useEffect(() => {
    if (!onResponses) return;
    if (routeConversation !== conversation.currentId()) {
      if (routeConversation) void conversation.open(routeConversation);
      else conversation.startNew();
    }
    appliedConversation.current = routeConversation;
  }, [onResponses, routeConversation]);
  useEffect(() => {
    if (!onResponses) return;
    const now = conversation.currentId();
    if (now === appliedConversation.current) return;
    appliedConversation.current = now;
    go(pagePath({ page: 'responses', conversationId: now }));
  }, [conversation.view.conversationId]);

  const runs = thread.view.runs;
  const shownRun = runs.find((r) => r.id === selectedRunId) ?? runs[runs.length - 1] ?? null;

  function sectionPath(id: Section): string {
    if (id === 'chat') return routePath({ assistantId: assistants.currentId(), threadId: thread.currentId() });
    if (id === 'responses') return pagePath({ page: 'responses', conversationId: conversation.currentId() });
    return pagePath(id === 'files' ? { page: 'files' } : { page: 'stores', storeId: null });
  }

  const params = requestParams(responseSettings.settings);
  const codeVariants = (): CodeVariant[] => {
    if (!onResponses) return assistantSnippets({ baseUrl: client.base, assistant: assistants.selected!, threadId: thread.view.threadId, messages: thread.view.messages });
    // The input being typed, or else the last one sent.
    const input = responseText || lastUserText(conversation.view.items);
    return responseSnippets({ baseUrl: client.base, params: params.ok ? params.params : { model: responseSettings.settings.model }, conversationId: conversation.view.conversationId, input });
  };

  return (
    <div class="shell" data-pane={pane}>
      <header class="topbar">
        <h1 class="brand">
          assistd <span>playground</span>
        </h1>
        <nav class="sections" aria-label="Sections">
          {SECTIONS.filter(([id]) => id !== 'responses' || capabilities.responses).map(([id, label]) => (
            <a
              key={id}
              href={sectionPath(id)}
              aria-current={page.page === id ? 'page' : undefined}
              onClick={(e) => {
                e.preventDefault();
                go(sectionPath(id));
              }}
            >
              {label}
            </a>
          ))}
        </nav>
        {onChat && <ThreadBar client={client} capabilities={capabilities} thread={thread} onSwitch={() => setSelectedRunId(null)} />}
        {onResponses && <ConversationBar conversation={conversation} />}
        <div class="topbar-actions">
          {(onChat || onResponses) && (
            <button type="button" onClick={() => setCodeOpen(true)} disabled={onChat && !assistants.selected}>
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
      <nav class="pane-tabs" role="tablist" aria-label="Panels" hidden={!onChat && !onResponses}>
        {(onResponses ? RESPONSE_PANES : PANES).map(([id, label]) => (
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
      {onResponses && (
        <ResponsesPage
          client={client}
          capabilities={capabilities}
          conversation={conversation}
          settings={responseSettings}
          params={params}
          text={responseText}
          onText={setResponseText}
          onShowResponse={() => setPane('run')}
        />
      )}
      {codeOpen && (onResponses || assistants.selected) && <CodeDialog variants={codeVariants()} onClose={() => setCodeOpen(false)} />}
    </div>
  );
}
