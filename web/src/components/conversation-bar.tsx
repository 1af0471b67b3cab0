import type { ConversationState } from '../state/use-conversation';

/** Picks one of the conversations this browser made, or starts a new one (made with the first turn). */
export function ConversationBar({ conversation }: { conversation: ConversationState }) {
  const current = conversation.view.conversationId;
  const known = conversation.recent.some((c) => c.id === current);
  const streaming = conversation.busy === 'streaming';
  return (
    <div class="thread-bar">
      <label class="visually-hidden" for="conversation-select">
        Conversation
      </label>
      <select
        id="conversation-select"
        value={current ?? ''}
        disabled={streaming}
        onChange={(e) => {
          const id = e.currentTarget.value;
          if (id) void conversation.open(id);
          else conversation.startNew();
        }}
      >
        <option value="">{current ? 'New conversation' : 'New conversation (not created yet)'}</option>
        {current && !known && <option value={current}>{current}</option>}
        {conversation.recent.map((c) => (
          <option value={c.id} key={c.id}>
            {c.title} · {new Date(c.created_at * 1000).toLocaleString()}
          </option>
        ))}
      </select>
      <button type="button" onClick={() => conversation.startNew()} disabled={streaming || !current}>
        New conversation
      </button>
    </div>
  );
}
