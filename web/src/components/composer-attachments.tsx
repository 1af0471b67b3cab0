import type { AttachTool, ComposerAttachments } from '../state/composer-attachments';

const TOOL_LABELS: Array<[AttachTool, string]> = [['code_interpreter', 'Code interpreter'], ['file_search', 'File search']];

/** The files waiting to go with the next message: progress, the tools each is for, and why one failed. */
export function AttachmentChips({ attachments }: { attachments: ComposerAttachments }) {
  if (attachments.items.length === 0) return null;
  return (
    <ul class="attachment-chips" aria-label="Attachments">
      {attachments.items.map((a) => (
        <li key={a.key} class={a.error ? 'failed' : ''}>
          <span class="file-name">{a.name}</span>
          {!a.fileId && !a.error && <progress max={1} value={a.progress} aria-label={`Uploading ${a.name}`} />}
          {a.error && <span class="error" role="alert">{a.error}</span>}
          {a.fileId && a.image && <span class="muted">image</span>}
          {a.fileId && !a.image && TOOL_LABELS.map(([tool, label]) => (
            <label key={tool} class="chip-tool">
              <input type="checkbox" checked={a.tools.includes(tool)} onChange={() => attachments.toggle(a.key, tool)} /> {label}
            </label>
          ))}
          <button type="button" class="ghost small" aria-label={`Remove ${a.name}`} onClick={() => attachments.remove(a.key)}>×</button>
        </li>
      ))}
    </ul>
  );
}

/** A button opening the file picker. */
export function AttachButton({ onFiles, disabled }: { onFiles(files: File[]): void; disabled: boolean }) {
  return (
    <label class={`button${disabled ? ' disabled' : ''}`}>
      <input
        type="file"
        multiple
        aria-label="Attach files"
        class="visually-hidden"
        disabled={disabled}
        onChange={(e) => {
          const files = [...(e.currentTarget.files ?? [])];
          e.currentTarget.value = '';
          if (files.length) onFiles(files);
        }}
      />
      Attach
    </label>
  );
}
