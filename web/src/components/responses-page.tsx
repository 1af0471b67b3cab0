import { useEffect, useState } from 'preact/hooks';
import type { ApiClient } from '../api/client';
import type { Capabilities } from '../api/capabilities';
import type { RequestParams } from '../state/response-settings';
import type { ConversationState } from '../state/use-conversation';
import type { ResponseSettingsState } from '../state/use-response-settings';
import { ResponseChat } from './response-chat';
import { ResponsePanel } from './response-panel';
import { ResponseSettingsPane } from './response-settings-pane';

interface Props {
  client: ApiClient;
  capabilities: Capabilities;
  conversation: ConversationState;
  settings: ResponseSettingsState;
  params: RequestParams;
  text: string;
  onText(text: string): void;
  onShowResponse(): void;
}

/** Responses mode: the settings each turn is created with, the conversation, and the selected response's output items. */
export function ResponsesPage({ client, capabilities, conversation, settings, params, text, onText, onShowResponse }: Props) {
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const { responses } = conversation.view;
  useEffect(() => setSelectedId(null), [responses.length, conversation.view.conversationId]);
  // A new response (or another conversation) is the one to look at: the person's pick holds until then.
  const latest = responses[responses.length - 1] ?? null;
  const shown = responses.find((r) => r.id === selectedId) ?? latest;
  return (
    <main class="panes responses-page">
      <section class="pane pane-assistant" aria-label="Response settings">
        <ResponseSettingsPane client={client} capabilities={capabilities} state={settings} />
      </section>
      <section class="pane pane-chat" aria-label="Conversation">
        <ResponseChat client={client} conversation={conversation} params={params} text={text} onText={onText} onShowResponse={onShowResponse} />
      </section>
      <section class="pane pane-run" aria-label="Response details">
        <ResponsePanel client={client} conversation={conversation} response={shown} onSelect={setSelectedId} />
      </section>
    </main>
  );
}
