import { useRef, useState } from 'preact/hooks';
import type { Conversation } from '../../../src/domain/responses';
import type { ApiClient } from '../api/client';
import { applyResponseEvent, emptyConversationView, type AnyItem, type ConversationView, type Response } from './conversation-view';
import { forgetConversation, loadRecentConversations, rememberConversation, rememberResponse, type RecentConversation } from './recent-conversations';

/** The server keeps tool results but returns them only when asked: the page shows them, so it always asks. */
const SHOWN_RESULTS = ['file_search_call.results', 'code_interpreter_call.outputs'];

const FOLLOW_INTERVAL_MS = 1000;
const isActive = (r: Response) => r.status === 'queued' || r.status === 'in_progress';

function titleOf(text: string): string {
  const plain = text.replace(/```[\s\S]*?```/g, ' ').replace(/\s+/g, ' ').trim();
  return (plain || text.trim()).slice(0, 60) || 'Untitled conversation';
}

/** Input items as shown before the server has them (they get their ids when the response adds them to the conversation). */
function pendingItems(input: string | Array<Record<string, unknown>>): AnyItem[] {
  const stamp = Date.now();
  if (typeof input === 'string') return [{ id: `pending-${stamp}`, type: 'message', role: 'user', status: 'completed', content: [{ type: 'input_text', text: input }] }];
  return input.map((item, i) => ({ ...item, id: `pending-${stamp}-${i}`, type: String(item.type) }));
}

/** The current conversation of Responses mode: opening it, and each turn a streamed response with `conversation`. */
export function useConversation(client: ApiClient) {
  const [view, setViewState] = useState<ConversationView>(() => emptyConversationView());
  const viewRef = useRef(view);
  const [recent, setRecent] = useState<RecentConversation[]>(() => loadRecentConversations());
  const [busy, setBusy] = useState<'loading' | 'streaming' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const aborter = useRef<AbortController | null>(null);

  const setView = (update: (v: ConversationView) => ConversationView) => {
    viewRef.current = update(viewRef.current);
    setViewState(viewRef.current);
  };
  /** Changes the view only while it still shows this conversation: a late answer for one left behind is dropped. */
  const setViewOf = (id: string, update: (v: ConversationView) => ConversationView) => setView((v) => (v.conversationId === id ? update(v) : v));

  // A stream cut off by opening another conversation ends after that opening began: only the newest job may
  // say the page is idle.
  const job = useRef(0);
  async function guard(kind: 'loading' | 'streaming', work: () => Promise<void>) {
    const mine = ++job.current;
    setBusy(kind);
    setError(null);
    try {
      await work();
    } catch (err) {
      if ((err as Error).name !== 'AbortError') setError((err as Error).message);
    } finally {
      if (job.current === mine) setBusy(null);
    }
  }

  async function reloadItems(id: string) {
    const items = await client.listAll<AnyItem>(`/conversations/${id}/items`, { include: SHOWN_RESULTS });
    setViewOf(id, (v) => ({ ...v, items }));
  }

  function open(id: string) {
    aborter.current?.abort();
    setView(() => emptyConversationView(id));
    return guard('loading', async () => {
      try {
        await reloadItems(id);
      } catch (err) {
        if ((err as { status?: number }).status === 404) setRecent(forgetConversation(id));
        throw err;
      }
      const ids = loadRecentConversations().find((c) => c.id === id)?.responseIds ?? [];
      const found = await Promise.allSettled(ids.map((rid) => client.get<Response>(`/responses/${rid}`, { include: SHOWN_RESULTS })));
      const responses = found.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      setViewOf(id, (v) => ({ ...v, responses: [...responses, ...v.responses.filter((r) => !ids.includes(r.id))] }));
    });
  }

  function startNew() {
    aborter.current?.abort();
    setView(() => emptyConversationView());
    setError(null);
  }

  async function ensureConversation(firstText: string): Promise<string> {
    const existing = viewRef.current.conversationId;
    if (existing) return existing;
    const conversation = await client.post<Conversation>('/conversations', {});
    setRecent(rememberConversation({ id: conversation.id, title: titleOf(firstText), created_at: conversation.created_at }));
    setView((v) => ({ ...v, conversationId: conversation.id }));
    return conversation.id;
  }

  /** A response whose stream was cut short keeps going on the server: poll it until it ends. */
  async function follow(id: string, responseId: string) {
    let current = viewRef.current.responses.find((r) => r.id === responseId);
    while (current && isActive(current) && viewRef.current.conversationId === id) {
      await new Promise((resolve) => setTimeout(resolve, FOLLOW_INTERVAL_MS));
      current = await client.get<Response>(`/responses/${responseId}`, { include: SHOWN_RESULTS });
      setViewOf(id, (v) => applyResponseEvent(v, `response.${current!.status}`, { response: current }));
    }
  }

  /**
   * One turn: the input (the person's text, or function call outputs) goes to `POST /v1/responses` in the
   * conversation, streamed; afterwards the conversation's items are read again, the server's own record. A
   * response that failed adds nothing to the conversation: `onLost` gets the chance to give the input back.
   */
  function send(input: string | Array<Record<string, unknown>>, params: Record<string, unknown>, onLost?: () => void) {
    return guard('streaming', async () => {
      let id: string | undefined;
      let responseId: string | undefined;
      try {
        id = await ensureConversation(typeof input === 'string' ? input : '');
        responseId = await stream(id, input, params);
      } catch (err) {
        if ((err as Error).name === 'AbortError') throw err;
        onLost?.();
        if (id) setViewOf(id, (v) => ({ ...v, items: v.items.filter((item) => !item.id.startsWith('pending-')) }));
        throw err;
      }
      if (responseId) await follow(id, responseId);
      await reloadItems(id);
      const final = viewRef.current.responses.find((r) => r.id === responseId);
      if (!final || final.status === 'failed') onLost?.();
    });
  }

  /** Streams one response's events into the view; returns its id. */
  async function stream(id: string, input: string | Array<Record<string, unknown>>, params: Record<string, unknown>): Promise<string | undefined> {
    const controller = new AbortController();
    aborter.current = controller;
    setViewOf(id, (v) => ({ ...v, items: [...v.items, ...pendingItems(input)], streamError: null }));
    let responseId: string | undefined;
    try {
      for await (const event of client.stream('/responses', { ...params, input, conversation: id }, controller.signal)) {
        const data = JSON.parse(event.data) as { type?: string; response?: Response };
        const type = data.type ?? event.event;
        if (type === 'response.created' && data.response) {
          responseId = data.response.id;
          setRecent(rememberResponse(id, responseId));
        }
        setViewOf(id, (v) => applyResponseEvent(v, type, data as never));
      }
    } finally {
      if (aborter.current === controller) aborter.current = null;
    }
    return responseId;
  }

  const currentId = () => viewRef.current.conversationId;
  return { view, currentId, recent, busy, error, open, startNew, send };
}

export type ConversationState = ReturnType<typeof useConversation>;
