import { useEffect, useState } from 'preact/hooks';
import type { ApiClient } from '../api/client';
import type { Capabilities } from '../api/capabilities';
import { requestParams } from '../state/response-settings';
import type { ResponseSettingsState } from '../state/use-response-settings';
import { FunctionList } from './function-list';

interface Store {
  id: string;
  name: string | null;
  file_counts: { completed: number };
}

/** Ticks the vector stores file_search searches; stores picked before stay listed even if the list has not come. */
function StoreChecklist({ client, value, onChange }: { client: ApiClient; value: string[]; onChange(ids: string[]): void }) {
  const [stores, setStores] = useState<Store[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    client.listAll<Store>('/vector_stores', { order: 'desc' }).then((list) => live && setStores(list), (err: Error) => live && setError(err.message));
    return () => {
      live = false;
    };
  }, [client]);
  const listed = stores ?? [];
  const shown = [...value.filter((id) => !listed.some((s) => s.id === id)).map((id) => ({ id, name: null, file_counts: null })), ...listed];
  const toggle = (id: string, on: boolean) => onChange(on ? [...value, id] : value.filter((v) => v !== id));
  return (
    <div class="store-checklist" role="group" aria-label="Vector stores to search">
      {error && <p class="error">{error}</p>}
      {stores && shown.length === 0 && <p class="muted">No vector stores yet: make one on the Vector stores page.</p>}
      {!stores && !error && <p class="muted">Loading vector stores…</p>}
      {shown.map((s) => (
        <label class="check" key={s.id}>
          <input type="checkbox" checked={value.includes(s.id)} onChange={(e) => toggle(s.id, e.currentTarget.checked)} />
          {s.name || 'Untitled'} <span class="muted">{s.id}{s.file_counts ? ` · ${s.file_counts.completed} file${s.file_counts.completed === 1 ? '' : 's'}` : ''}</span>
        </label>
      ))}
    </div>
  );
}

interface Props {
  client: ApiClient;
  capabilities: Capabilities;
  state: ResponseSettingsState;
}

/** What each response is created with: model, instructions and tools. Nothing is stored on the server. */
export function ResponseSettingsPane({ client, capabilities, state }: Props) {
  const { settings, update, suggestions } = state;
  const params = requestParams(settings);
  return (
    <div class="assistant-pane response-settings">
      <p class="muted">Each turn is a response created with these settings in the conversation.</p>
      <label>
        Model
        <input list="response-model-suggestions" value={settings.model} onInput={(e) => update(() => ({ model: e.currentTarget.value }))} required spellcheck={false} />
      </label>
      <datalist id="response-model-suggestions">
        {suggestions.map((m) => <option value={m} key={m} />)}
      </datalist>
      <label>
        Instructions
        <textarea rows={4} value={settings.instructions} onInput={(e) => update(() => ({ instructions: e.currentTarget.value }))} placeholder="You are a helpful assistant." />
      </label>
      <fieldset class="tools">
        <legend>Tools</legend>
        <label class="check">
          <input type="checkbox" checked={settings.fileSearch} disabled={!capabilities.vectorStores} onChange={(e) => update(() => ({ fileSearch: e.currentTarget.checked }))} />
          File search
        </label>
        {settings.fileSearch && <StoreChecklist client={client} value={settings.vectorStoreIds} onChange={(vectorStoreIds) => update(() => ({ vectorStoreIds }))} />}
        <label class="check">
          <input type="checkbox" checked={settings.codeInterpreter} disabled={!capabilities.containers} onChange={(e) => update(() => ({ codeInterpreter: e.currentTarget.checked }))} />
          Code interpreter
          {!capabilities.containers && <span class="muted">(this server has no containers)</span>}
        </label>
        <div class="functions">
          <span class="label">Functions</span>
          <FunctionList idPrefix="response-function" functions={settings.functions} onChange={(functions) => update(() => ({ functions }))} />
        </div>
      </fieldset>
      {!params.ok && <p class="error">{params.error}</p>}
    </div>
  );
}
