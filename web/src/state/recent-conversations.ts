// Conversations cannot be listed and do not say which responses were made in them, so the playground remembers,
// in this browser's local storage, the conversations it made (titled by their first message) and their responses.
const STORAGE_KEY = 'assistd.playground.conversations';
const MAX_CONVERSATIONS = 30;
const MAX_RESPONSES = 20;

export interface RecentConversation {
  id: string;
  title: string;
  created_at: number;
  responseIds: string[];
}

export function loadRecentConversations(): RecentConversation[] {
  try {
    const parsed = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '[]') as unknown;
    return Array.isArray(parsed) ? parsed.filter((c): c is RecentConversation => typeof c?.id === 'string' && Array.isArray(c.responseIds)) : [];
  } catch {
    return [];
  }
}

function save(list: RecentConversation[]): RecentConversation[] {
  const next = list.slice(0, MAX_CONVERSATIONS);
  localStorage.setItem(STORAGE_KEY, JSON.stringify(next));
  return next;
}

/** Adds a conversation this browser made, first in the list. */
export function rememberConversation(conversation: Omit<RecentConversation, 'responseIds'>): RecentConversation[] {
  const others = loadRecentConversations().filter((c) => c.id !== conversation.id);
  return save([{ ...conversation, responseIds: [] }, ...others]);
}

/** Notes a response made in a conversation (kept only for conversations this browser remembers). */
export function rememberResponse(conversationId: string, responseId: string): RecentConversation[] {
  const list = loadRecentConversations();
  return save(list.map((c) => (c.id === conversationId && !c.responseIds.includes(responseId) ? { ...c, responseIds: [...c.responseIds, responseId].slice(-MAX_RESPONSES) } : c)));
}

export function forgetConversation(id: string): RecentConversation[] {
  return save(loadRecentConversations().filter((c) => c.id !== id));
}
