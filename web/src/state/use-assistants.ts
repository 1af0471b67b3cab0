import { useEffect, useRef, useState } from 'preact/hooks';
import type { Assistant, DeletedObject, ListPage } from '../../../src/domain/types';
import type { ApiClient } from '../api/client';
import type { Capabilities } from '../api/capabilities';

const SELECTED_KEY = 'assistd.playground.assistant';

/** Model names to suggest: the server's `GET /models` when it has one, plus the models assistants already use. */
async function modelSuggestions(client: ApiClient, capabilities: Capabilities): Promise<string[]> {
  if (!capabilities.models) return [];
  const page = await client.get<ListPage<{ id: string }>>('/models');
  return page.data.map((m) => m.id);
}

/** The project's assistants, the selected one (remembered across reloads) and saving or deleting them. */
export function useAssistants(client: ApiClient, capabilities: Capabilities) {
  const [assistants, setAssistants] = useState<Assistant[]>([]);
  const [selectedId, setSelectedIdState] = useState<string | null>(() => localStorage.getItem(SELECTED_KEY));
  // The choice as of now, even before the render that shows it (the address follows it).
  const selectedRef = useRef(selectedId);
  const setSelectedId = (next: string | null | ((current: string | null) => string | null)) => {
    selectedRef.current = typeof next === 'function' ? next(selectedRef.current) : next;
    setSelectedIdState(selectedRef.current);
  };
  const [models, setModels] = useState<string[]>([]);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<string | null>(null);

  // Once the person has chosen (even "new assistant"), the list arriving later must not choose for them.
  const chosen = useRef(false);

  function select(id: string | null) {
    chosen.current = true;
    setSelectedId(id);
    if (id) localStorage.setItem(SELECTED_KEY, id);
    else localStorage.removeItem(SELECTED_KEY);
  }

  useEffect(() => {
    let live = true;
    Promise.all([client.listAll<Assistant>('/assistants', { order: 'desc' }), modelSuggestions(client, capabilities)])
      .then(([list, served]) => {
        if (!live) return;
        setAssistants(list);
        setModels(served);
        setLoaded(true);
        setSelectedId((current) => {
          if (current && list.some((a) => a.id === current)) return current;
          return chosen.current && !current ? null : list[0]?.id ?? null;
        });
      })
      .catch((err: Error) => live && setError(err.message));
    return () => {
      live = false;
    };
  }, [client, capabilities]);

  async function save(id: string | null, body: Record<string, unknown>): Promise<Assistant> {
    const saved = await client.post<Assistant>(id ? `/assistants/${id}` : '/assistants', body);
    setAssistants((list) => (list.some((a) => a.id === saved.id) ? list.map((a) => (a.id === saved.id ? saved : a)) : [saved, ...list]));
    select(saved.id);
    return saved;
  }

  async function remove(id: string): Promise<void> {
    await client.delete<DeletedObject>(`/assistants/${id}`);
    const rest = assistants.filter((a) => a.id !== id);
    setAssistants(rest);
    select(rest[0]?.id ?? null);
  }

  const suggestions = [...new Set([...models, ...assistants.map((a) => a.model), 'scripted'])];
  const selected = assistants.find((a) => a.id === selectedId) ?? null;
  const currentId = () => (selectedRef.current && assistants.some((a) => a.id === selectedRef.current) ? selectedRef.current : null);
  return { assistants, selected, currentId, select, save, remove, suggestions, loaded, error };
}

export type AssistantsState = ReturnType<typeof useAssistants>;
