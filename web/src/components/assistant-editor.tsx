import type { ApiClient } from '../api/client';
import type { Capabilities } from '../api/capabilities';
import type { AssistantDraft } from '../state/assistant-draft';
import { FunctionList } from './function-list';
import { CodeFiles, VectorStoreFiles } from './tool-files';

export type DraftUpdate = (change: (d: AssistantDraft) => Partial<AssistantDraft>) => void;

interface Props {
  client: ApiClient;
  capabilities: Capabilities;
  draft: AssistantDraft;
  models: string[];
  update: DraftUpdate;
}

function Slider({ label, value, max, onValue }: { label: string; value: number; max: number; onValue(v: number): void }) {
  const id = `slider-${label.toLowerCase().replace(/\W+/g, '-')}`;
  return (
    <div class="slider">
      <label for={id}>{label}</label>
      <input id={id} type="range" min={0} max={max} step={0.01} value={value} onInput={(e) => onValue(Number(e.currentTarget.value))} />
      <input
        type="number"
        min={0}
        max={max}
        step={0.01}
        value={value}
        aria-label={`${label} value`}
        onChange={(e) => onValue(Math.min(max, Math.max(0, Number(e.currentTarget.value) || 0)))}
      />
    </div>
  );
}

/** The assistant's settings: identity, model, tools with their files, and sampling. */
export function AssistantEditor({ client, capabilities, draft, models, update }: Props) {
  return (
    <div class="assistant-editor">
      <label>
        Name
        <input value={draft.name} onInput={(e) => update(() => ({ name: e.currentTarget.value }))} placeholder="Math tutor" />
      </label>
      <label>
        Instructions
        <textarea rows={5} value={draft.instructions} onInput={(e) => update(() => ({ instructions: e.currentTarget.value }))} placeholder="You are a helpful assistant." />
      </label>
      <label>
        Model
        <input list="model-suggestions" value={draft.model} onInput={(e) => update(() => ({ model: e.currentTarget.value }))} required spellcheck={false} />
      </label>
      <datalist id="model-suggestions">
        {models.map((m) => <option value={m} key={m} />)}
      </datalist>

      <fieldset class="tools">
        <legend>Tools</legend>
        <label class="check">
          <input type="checkbox" checked={draft.codeInterpreter} onChange={(e) => update(() => ({ codeInterpreter: e.currentTarget.checked }))} />
          Code interpreter
        </label>
        {draft.codeInterpreter && (
          <CodeFiles
            client={client}
            fileIds={draft.codeFileIds}
            onAdd={(id) => update((d) => ({ codeFileIds: [...d.codeFileIds, id] }))}
            onRemove={(id) => update((d) => ({ codeFileIds: d.codeFileIds.filter((f) => f !== id) }))}
          />
        )}
        <label class="check">
          <input type="checkbox" checked={draft.fileSearch} onChange={(e) => update(() => ({ fileSearch: e.currentTarget.checked }))} />
          File search
        </label>
        {draft.fileSearch &&
          (capabilities.vectorStores ? (
            <VectorStoreFiles
              client={client}
              vectorStoreId={draft.vectorStoreId}
              storeName={`${draft.name || 'Playground'} files`}
              onVectorStore={(id) => update(() => ({ vectorStoreId: id }))}
            />
          ) : (
            <p class="muted">This server has no vector stores endpoint, so files cannot be added for search.</p>
          ))}
        <div class="functions">
          <span class="label">Functions</span>
          <FunctionList functions={draft.functions} onChange={(functions) => update(() => ({ functions }))} />
        </div>
      </fieldset>

      <fieldset class="sampling">
        <legend>Model configuration</legend>
        <label>
          Response format
          <select value={draft.responseFormat} onChange={(e) => update(() => ({ responseFormat: e.currentTarget.value as AssistantDraft['responseFormat'] }))}>
            <option value="auto">auto</option>
            <option value="text">text</option>
            <option value="json_object">json_object</option>
            <option value="json_schema">json_schema</option>
          </select>
        </label>
        {draft.responseFormat === 'json_schema' && (
          <label>
            JSON schema <span class="muted">{'{"name", "schema", "strict"}'}</span>
            <textarea
              class="json"
              rows={6}
              spellcheck={false}
              value={draft.jsonSchema}
              onInput={(e) => update(() => ({ jsonSchema: e.currentTarget.value }))}
              placeholder={'{"name": "answer", "schema": {"type": "object", "properties": {}}}'}
            />
          </label>
        )}
        <Slider label="Temperature" value={draft.temperature} max={2} onValue={(temperature) => update(() => ({ temperature }))} />
        <Slider label="Top P" value={draft.topP} max={1} onValue={(topP) => update(() => ({ topP }))} />
      </fieldset>
    </div>
  );
}
