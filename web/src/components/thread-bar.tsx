import type { ThreadState } from '../state/use-thread';

interface Props {
  thread: ThreadState;
  onSwitch(): void;
}

/** Picks one of the threads this browser made (the API cannot list threads) or starts a new one. */
export function ThreadBar({ thread, onSwitch }: Props) {
  const current = thread.view.threadId;
  const known = thread.recent.some((t) => t.id === current);
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
          onSwitch();
          if (id) void thread.open(id);
          else thread.startNew();
        }}
      >
        <option value="">{current ? 'New thread' : 'New thread (not created yet)'}</option>
        {current && !known && <option value={current}>{current}</option>}
        {thread.recent.map((t) => (
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
    </div>
  );
}
