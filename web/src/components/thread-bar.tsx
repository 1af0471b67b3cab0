import { useEffect, useState } from 'preact/hooks';
import type { Thread } from '../../../src/domain/types';
import type { ApiClient } from '../api/client';
import type { Capabilities } from '../api/capabilities';
import { listThreads } from '../state/thread-search';
import type { ThreadState } from '../state/use-thread';
import { ThreadFinder } from './thread-finder';

interface Props {
  client: ApiClient;
  capabilities: Capabilities;
  thread: ThreadState;
  onSwitch(): void;
}

interface Choice {
  id: string;
  title: string;
  created_at: number;
}

/**
 * Picks a recent thread or starts a new one. With assistd's thread list the choices are the project's newest
 * threads (titled from this browser's memory where it has one); without it, the threads this browser made.
 */
export function ThreadBar({ client, capabilities, thread, onSwitch }: Props) {
  const current = thread.view.threadId;
  const [served, setServed] = useState<Thread[] | null>(null);
  const [finding, setFinding] = useState(false);

  useEffect(() => {
    if (!capabilities.threadList) return;
    let live = true;
    listThreads(client, {})
      .then((page) => live && setServed(page.data))
      .catch(() => live && setServed(null));
    return () => {
      live = false;
    };
  }, [client, capabilities.threadList, current]);

  const titleOf = (id: string) => thread.recent.find((r) => r.id === id)?.title;
  const choices: Choice[] = served ? served.map((t) => ({ id: t.id, title: titleOf(t.id) ?? t.id, created_at: t.created_at })) : thread.recent;
  const known = choices.some((t) => t.id === current);
  const open = (id: string) => {
    onSwitch();
    void thread.open(id);
  };
  return (
    <div class="thread-bar">
      <label class="visually-hidden" for="thread-select">
        Thread
      </label>
      <select
        id="thread-select"
        value={current ?? ''}
        disabled={thread.busy === 'streaming'}
        onChange={(e) => {
          const id = e.currentTarget.value;
          if (id) open(id);
          else {
            onSwitch();
            thread.startNew();
          }
        }}
      >
        <option value="">{current ? 'New thread' : 'New thread (not created yet)'}</option>
        {current && !known && <option value={current}>{titleOf(current) ?? current}</option>}
        {choices.map((t) => (
          <option value={t.id} key={t.id}>
            {t.title} · {new Date(t.created_at * 1000).toLocaleString()}
          </option>
        ))}
      </select>
      <button
        type="button"
        onClick={() => {
          onSwitch();
          thread.startNew();
        }}
        disabled={thread.busy === 'streaming' || !current}
      >
        New thread
      </button>
      <button type="button" onClick={() => setFinding(true)} disabled={thread.busy === 'streaming'}>
        Threads…
      </button>
      {finding && (
        <ThreadFinder
          client={client}
          recent={thread.recent}
          canList={capabilities.threadList}
          onOpen={(id) => {
            setFinding(false);
            open(id);
          }}
          onClose={() => setFinding(false)}
        />
      )}
    </div>
  );
}
