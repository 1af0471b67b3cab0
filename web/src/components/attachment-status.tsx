import { useEffect, useState } from 'preact/hooks';
import type { Thread } from '../../../src/domain/types';
import type { ApiClient } from '../api/client';

interface IndexState {
  status: 'in_progress' | 'completed' | 'cancelled' | 'failed';
  last_error: { code: string; message: string } | null;
}

const POLL_MS = 1000;

/**
 * How a file attached for file_search is doing in the thread's vector store: a badge while it is indexed, and
 * the reason in words when indexing failed.
 */
export function AttachmentStatus({ client, threadId, fileId }: { client: ApiClient; threadId: string; fileId: string }) {
  const [state, setState] = useState<IndexState | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    async function check() {
      try {
        const thread = await client.get<Thread>(`/threads/${threadId}`);
        const storeId = thread.tool_resources?.file_search?.vector_store_ids?.[0];
        if (!storeId) return;
        const file = await client.get<IndexState>(`/vector_stores/${storeId}/files/${fileId}`);
        if (!live) return;
        setState(file);
        if (file.status === 'in_progress') timer = setTimeout(() => void check(), POLL_MS);
      } catch (err) {
        if (live) setError((err as Error).message);
      }
    }
    void check();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [client, threadId, fileId]);
  if (error) return <span class="error attachment-status">status unknown: {error}</span>;
  if (!state) return null;
  if (state.status === 'failed') {
    return <span class="error attachment-status" role="alert">Indexing failed: {state.last_error?.message ?? 'no reason given'}{state.last_error ? ` (${state.last_error.code})` : ''}</span>;
  }
  return <span class={`badge status-${state.status} attachment-status`}>{state.status === 'completed' ? 'indexed' : state.status.replace('_', ' ')}</span>;
}
