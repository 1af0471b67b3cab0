import { useLayoutEffect, useRef, useState } from 'preact/hooks';

/** A function call waiting for its output: a run's tool call, or a response's `function_call` item (by `call_id`). */
export interface PendingCall {
  id: string;
  name: string;
  arguments: string;
}

interface Props {
  calls: PendingCall[];
  /** Who called: "The assistant", "The model". */
  caller: string;
  busy: boolean;
  onSubmit(outputs: Array<{ tool_call_id: string; output: string }>): void;
}

function prettyArguments(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** Function calls wait for their outputs: one output field per call, submitted together (the answer then streams on). */
export function ToolOutputsForm({ calls, caller, busy, onSubmit }: Props) {
  const [outputs, setOutputs] = useState<Record<string, string>>({});
  const first = useRef<HTMLTextAreaElement>(null);
  // The person's next move is to type an output: put the caret there (autofocus only works on page load).
  useLayoutEffect(() => first.current?.focus(), []);
  return (
    <form
      class="tool-outputs card"
      aria-label="Function calls"
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit(calls.map((c) => ({ tool_call_id: c.id, output: outputs[c.id] ?? '' })));
      }}
    >
      <h2>{caller} called {calls.length === 1 ? 'a function' : `${calls.length} functions`}</h2>
      {calls.map((call, i) => (
        <fieldset key={call.id} class="tool-call">
          <legend>
            <code>{call.name}</code> <span class="muted">{call.id}</span>
          </legend>
          <pre class="arguments">{prettyArguments(call.arguments)}</pre>
          <label>
            Output
            <textarea
              rows={2}
              name={`output-${call.id}`}
              value={outputs[call.id] ?? ''}
              ref={i === 0 ? first : undefined}
              onInput={(e) => setOutputs({ ...outputs, [call.id]: e.currentTarget.value })}
              placeholder='e.g. {"temperature": 22}'
            />
          </label>
        </fieldset>
      ))}
      <button type="submit" class="primary" disabled={busy}>
        Submit {calls.length === 1 ? 'output' : 'outputs'}
      </button>
    </form>
  );
}
