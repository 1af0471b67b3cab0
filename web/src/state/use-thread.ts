import { useRef, useState } from 'preact/hooks';
import type { Message, Run, RunStep, Thread } from '../../../src/domain/types';
import type { ApiClient } from '../api/client';
import { forgetThread, loadRecentThreads, rememberThread, type RecentThread } from './recent-threads';
import { applyRunEvent, emptyThreadView, type ThreadView } from './thread-view';

/** Asks list-steps for the search results' text, so the run panel can show what file_search found. */
const STEP_INCLUDE = { 'include[]': ['step_details.tool_calls[*].file_search.results[*].content'] };
/** Older runs of a long thread are listed without their steps until selected. */
const RUNS_WITH_STEPS = 10;
const FOLLOW_INTERVAL_MS = 1000;

const isActive = (run: Run) => ['queued', 'in_progress', 'cancelling'].includes(run.status);

function titleOf(text: string): string {
  const plain = text.replace(/```[\s\S]*?```/g, ' ').replace(/\s+/g, ' ').trim();
  return (plain || text.trim()).slice(0, 60) || 'Untitled thread';
}

/** The current thread: loading, adding messages, streaming runs and answering their function calls. */
export function useThread(client: ApiClient) {
  const [view, setViewState] = useState<ThreadView>(() => emptyThreadView());
  const viewRef = useRef(view);
  const [recent, setRecent] = useState<RecentThread[]>(() => loadRecentThreads());
  const [busy, setBusy] = useState<'loading' | 'sending' | 'streaming' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const aborter = useRef<AbortController | null>(null);

  const setView = (update: (v: ThreadView) => ThreadView) => {
    viewRef.current = update(viewRef.current);
    setViewState(viewRef.current);
  };

  async function guard(kind: 'loading' | 'sending' | 'streaming', work: () => Promise<void>) {
    setBusy(kind);
    setError(null);
    try {
      await work();
    } catch (err) {
      if ((err as Error).name !== 'AbortError') setError((err as Error).message);
    } finally {
      setBusy(null);
    }
  }

  async function loadSteps(threadId: string, runId: string) {
    const steps = await client.listAll<RunStep>(`/threads/${threadId}/runs/${runId}/steps`, STEP_INCLUDE);
    setView((v) => (v.threadId === threadId ? { ...v, steps: { ...v.steps, [runId]: steps } } : v));
  }

  function open(threadId: string) {
    aborter.current?.abort();
    setView(() => emptyThreadView(threadId));
    return guard('loading', async () => {
      try {
        const [messages, runs] = await Promise.all([
          client.listAll<Message>(`/threads/${threadId}/messages`),
          client.listAll<Run>(`/threads/${threadId}/runs`),
        ]);
        setView((v) => ({ ...v, messages, runs }));
        await Promise.all(runs.slice(-RUNS_WITH_STEPS).map((run) => loadSteps(threadId, run.id)));
        const last = runs[runs.length - 1];
        if (last && isActive(last)) void follow(threadId, last);
      } catch (err) {
        if ((err as { status?: number }).status === 404) setRecent(forgetThread(threadId));
        throw err;
      }
    });
  }

  /**
   * A run that was already going when the thread was opened (another tab, a reload) has no stream here: it is
   * polled until it ends, then the thread is read again.
   */
  async function follow(threadId: string, run: Run) {
    let current = run;
    while (isActive(current) && viewRef.current.threadId === threadId) {
      await new Promise((resolve) => setTimeout(resolve, FOLLOW_INTERVAL_MS));
      current = await client.get<Run>(`/threads/${threadId}/runs/${run.id}`);
      setView((v) => (v.threadId === threadId ? applyRunEvent(v, 'thread.run.polled', current) : v));
    }
    if (viewRef.current.threadId !== threadId) return;
    const messages = await client.listAll<Message>(`/threads/${threadId}/messages`);
    setView((v) => (v.threadId === threadId ? { ...v, messages } : v));
    await loadSteps(threadId, run.id);
  }

  function startNew() {
    aborter.current?.abort();
    setView(() => emptyThreadView());
    setError(null);
  }

  async function ensureThread(firstText: string): Promise<string> {
    const existing = viewRef.current.threadId;
    if (existing) return existing;
    const thread = await client.post<Thread>('/threads', {});
    setRecent(rememberThread({ id: thread.id, title: titleOf(firstText), created_at: thread.created_at }));
    setView((v) => ({ ...v, threadId: thread.id }));
    return thread.id;
  }

  /** Streams a run's events into the view; afterwards the steps are read again for what only a read returns. */
  async function stream(path: string, body: Record<string, unknown>) {
    const controller = new AbortController();
    aborter.current = controller;
    setView((v) => ({ ...v, streamError: null }));
    let runId: string | undefined;
    const threadId = viewRef.current.threadId!;
    try {
      for await (const event of client.stream(path, body, controller.signal)) {
        const data = JSON.parse(event.data) as { object?: string; id?: string };
        if (data.object === 'thread.run') runId = data.id;
        setView((v) => applyRunEvent(v, event.event, data));
      }
    } finally {
      if (aborter.current === controller) aborter.current = null;
    }
    if (!runId) return;
    // A stream cut short (a proxy timeout, a dropped connection) leaves the run going: follow it by polling.
    const run = viewRef.current.runs.find((r) => r.id === runId);
    if (run && isActive(run)) await follow(threadId, run);
    else await loadSteps(threadId, runId);
  }

  /**
   * Adds the user's message (text, images, attached files; if any) and, when `run` is set, runs the assistant on
   * the thread with streaming.
   */
  function send(text: string, assistantId: string | null, run: boolean, parts: { body: Record<string, unknown>; empty: boolean } = { body: { role: 'user', content: text }, empty: !text.trim() }) {
    return guard(run ? 'streaming' : 'sending', async () => {
      const threadId = await ensureThread(text);
      if (!parts.empty) {
        const message = await client.post<Message>(`/threads/${threadId}/messages`, parts.body);
        setView((v) => ({ ...v, messages: [...v.messages, message] }));
      }
      if (run && assistantId) await stream(`/threads/${threadId}/runs`, { assistant_id: assistantId });
    });
  }

  function submitToolOutputs(run: Run, outputs: Array<{ tool_call_id: string; output: string }>) {
    return guard('streaming', () => stream(`/threads/${run.thread_id}/runs/${run.id}/submit_tool_outputs`, { tool_outputs: outputs }));
  }

  /** Asks the server to cancel; a stream in progress carries on until the run's final event. */
  async function cancel(run: Run) {
    try {
      const next = await client.post<Run>(`/threads/${run.thread_id}/runs/${run.id}/cancel`);
      setView((v) => (v.runs.some((r) => r.id === next.id && isActive(r)) ? applyRunEvent(v, 'thread.run.cancelling', next) : v));
    } catch (err) {
      setError((err as Error).message);
    }
  }

  /** Deletes the thread's messages one by one (the API has no bulk delete); runs and steps stay readable. */
  function clear() {
    const threadId = viewRef.current.threadId;
    if (!threadId) return Promise.resolve();
    return guard('sending', async () => {
      for (const message of viewRef.current.messages) {
        await client.delete(`/threads/${threadId}/messages/${message.id}`);
        setView((v) => ({ ...v, messages: v.messages.filter((m) => m.id !== message.id) }));
      }
    });
  }

  function forget(id: string) {
    setRecent(forgetThread(id));
    if (viewRef.current.threadId === id) startNew();
  }

  const activeRun = view.runs.find((r) => isActive(r) || r.status === 'requires_action') ?? null;
  /** The thread shown now, even before the render that shows it (the address follows it). */
  const currentId = () => viewRef.current.threadId;
  return { view, currentId, recent, busy, error, activeRun, open, startNew, send, submitToolOutputs, cancel, clear, forget, loadSteps };
}

export type ThreadState = ReturnType<typeof useThread>;
