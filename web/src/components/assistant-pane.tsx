import { useEffect, useState } from 'preact/hooks';
import type { ApiClient } from '../api/client';
import type { Capabilities } from '../api/capabilities';
import { draftFromAssistant, draftToBody, newDraft, type AssistantDraft } from '../state/assistant-draft';
import type { AssistantsState } from '../state/use-assistants';
import { AssistantEditor, type DraftUpdate } from './assistant-editor';

interface Props {
  client: ApiClient;
  capabilities: Capabilities;
  assistants: AssistantsState;
}

/** Picks an assistant (or a new one) and edits, saves or deletes it. */
export function AssistantPane({ client, capabilities, assistants }: Props) {
  const { selected } = assistants;
  const [draft, setDraft] = useState<AssistantDraft>(() => (selected ? draftFromAssistant(selected) : newDraft()));
  const [saving, setSaving] = useState(false);
  const [notice, setNotice] = useState<{ error: boolean; text: string } | null>(null);

  useEffect(() => {
    setDraft(selected ? draftFromAssistant(selected) : newDraft());
  }, [selected?.id]);

  const update: DraftUpdate = (change) => setDraft((d) => ({ ...d, ...change(d) }));
  const body = draftToBody(draft);
  const savedBody = selected ? draftToBody(draftFromAssistant(selected)) : null;
  const dirty = !selected || JSON.stringify(body) !== JSON.stringify(savedBody);

  async function act(work: () => Promise<string>) {
    setSaving(true);
    setNotice(null);
    try {
      setNotice({ error: false, text: await work() });
    } catch (err) {
      setNotice({ error: true, text: (err as Error).message });
    } finally {
      setSaving(false);
    }
  }

  const save = () => act(async () => {
    if (!body.ok) throw new Error(body.error);
    const saved = await assistants.save(draft.id, body.body);
    return draft.id ? 'Saved.' : `Created ${saved.id}.`;
  });
  const remove = () => act(async () => {
    if (!draft.id || !confirm(`Delete assistant ${draft.name || draft.id}?`)) return '';
    await assistants.remove(draft.id);
    return 'Deleted.';
  });

  // Until the list is in, the choice of assistant is not known: a form shown earlier could be swapped under the
  // person's hands.
  if (!assistants.loaded) {
    return <div class="assistant-pane">{assistants.error ? <p class="error" role="alert">{assistants.error}</p> : <p class="muted">Loading assistants…</p>}</div>;
  }
  return (
    <form
      class="assistant-pane"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <div class="pane-head">
        <label class="visually-hidden" for="assistant-select">
          Assistant
        </label>
        <select id="assistant-select" value={selected?.id ?? ''} onChange={(e) => {
            setNotice(null);
            assistants.select(e.currentTarget.value || null);
          }}
        >
          <option value="">+ New assistant</option>
          {assistants.assistants.map((a) => (
            <option value={a.id} key={a.id}>
              {a.name || 'Untitled'} · {a.id.slice(-6)}
            </option>
          ))}
        </select>
      </div>
      {assistants.error && <p class="error" role="alert">{assistants.error}</p>}
      {draft.id && <code class="muted assistant-id">{draft.id}</code>}
      <AssistantEditor client={client} capabilities={capabilities} draft={draft} models={assistants.suggestions} update={update} />
      <div class="form-actions">
        <button type="submit" class="primary" disabled={saving || !body.ok || !dirty}>
          {draft.id ? 'Save' : 'Create assistant'}
        </button>
        {draft.id && (
          <button type="button" class="danger ghost" onClick={() => void remove()} disabled={saving}>
            Delete
          </button>
        )}
        {dirty && draft.id && <span class="muted">Unsaved changes</span>}
      </div>
      {!body.ok && <p class="error">{body.error}</p>}
      {notice?.text && <p class={notice.error ? 'error' : 'valid'} role="status">{notice.text}</p>}
    </form>
  );
}
