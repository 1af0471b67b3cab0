import { checkFunctionDefinition, FUNCTION_TEMPLATE } from '../state/function-schema';

interface Props {
  functions: string[];
  /** Prefix of the editors' element ids: two lists may be on the page at once. */
  idPrefix?: string;
  onChange(functions: string[]): void;
}

/** Function tools as editable JSON definitions, each validated as it is typed. */
export function FunctionList({ functions, idPrefix = 'function', onChange }: Props) {
  const update = (i: number, text: string) => onChange(functions.map((f, j) => (j === i ? text : f)));
  return (
    <div class="function-list">
      {functions.map((text, i) => {
        const checked = checkFunctionDefinition(text);
        const id = `${idPrefix}-${i}`;
        return (
          <div class={`function-editor${checked.ok ? '' : ' invalid'}`} key={i}>
            <div class="row">
              <label for={id}>{checked.ok ? <code>{checked.value.name}</code> : `Function ${i + 1}`}</label>
              <button type="button" class="ghost small" onClick={() => onChange(functions.filter((_, j) => j !== i))} aria-label={`Remove function ${i + 1}`}>
                Remove
              </button>
            </div>
            <textarea
              id={id}
              class="json"
              rows={8}
              spellcheck={false}
              value={text}
              aria-invalid={!checked.ok}
              aria-describedby={`${id}-check`}
              onInput={(e) => update(i, e.currentTarget.value)}
            />
            <p id={`${id}-check`} class={checked.ok ? 'valid' : 'error'} role={checked.ok ? undefined : 'alert'}>
              {checked.ok ? 'Valid function definition.' : checked.error}
            </p>
          </div>
        );
      })}
      <button type="button" class="small" onClick={() => onChange([...functions, FUNCTION_TEMPLATE])}>
        + Add function
      </button>
    </div>
  );
}
