import { useEffect } from 'preact/hooks';
import type { Run } from '../../../src/domain/types';
import type { ApiClient } from '../api/client';
import type { ThreadState } from '../state/use-thread';
import { StepView } from './step-view';
import { clock, seconds } from './time-format';

interface Props {
  client: ApiClient;
  thread: ThreadState;
  run: Run | null;
  onSelectRun(id: string): void;
}

function Timings({ run }: { run: Run }) {
  const ended = run.completed_at ?? run.failed_at ?? run.cancelled_at;
  return (
    <dl class="facts">
      <dt>Created</dt>
      <dd>{clock(run.created_at)}</dd>
      {run.started_at != null && (
        <>
          <dt>Queued for</dt>
          <dd>{seconds(run.started_at - run.created_at)}</dd>
        </>
      )}
      {run.started_at != null && ended != null && (
        <>
          <dt>Ran for</dt>
          <dd>{seconds(ended - run.started_at)}</dd>
        </>
      )}
      {run.usage && (
        <>
          <dt>Tokens</dt>
          <dd>
            {run.usage.prompt_tokens} prompt + {run.usage.completion_tokens} completion = <strong>{run.usage.total_tokens}</strong>
          </dd>
        </>
      )}
      <dt>Model</dt>
      <dd>
        <code>{run.model}</code>
      </dd>
    </dl>
  );
}

/** The selected run (the latest by default): status, timings, usage, errors and each step in order. */
export function RunPanel({ client, thread, run, onSelectRun }: Props) {
  const runs = thread.view.runs;
  const steps = run ? thread.view.steps[run.id] : undefined;
  const threadId = thread.view.threadId;

  useEffect(() => {
    if (run && threadId && !steps && thread.busy === null) void thread.loadSteps(threadId, run.id);
  }, [run?.id, threadId, Boolean(steps), thread.busy]);

  if (!run) return <div class="run-panel"><h2>Run details</h2><p class="empty">Each run's steps, tool calls, timings and token usage show here.</p></div>;
  const ordered = [...(steps ?? [])].sort((a, b) => a.created_at - b.created_at);
  return (
    <div class="run-panel">
      <h2>Run details</h2>
      {runs.length > 1 && (
        <label class="run-select">
          <span class="visually-hidden">Run</span>
          <select value={run.id} onChange={(e) => onSelectRun(e.currentTarget.value)}>
            {runs.map((r, i) => (
              <option value={r.id} key={r.id}>
                Run {i + 1} · {r.status} · {clock(r.created_at)}
              </option>
            ))}
          </select>
        </label>
      )}
      <p class="run-id">
        <span class={`badge status-${run.status}`} data-run-status={run.status}>{run.status.replace('_', ' ')}</span> <code>{run.id}</code>
      </p>
      {run.last_error && (
        <div class="error" role="alert">
          <strong>last_error</strong> <code>{run.last_error.code}</code>: {run.last_error.message}
        </div>
      )}
      {run.incomplete_details && <p class="error">Incomplete: {run.incomplete_details.reason}</p>}
      <Timings run={run} />
      <h3>Steps</h3>
      {ordered.length === 0 ? <p class="muted">{steps ? 'No steps yet.' : 'Loading steps…'}</p> : (
        <ol class="steps">
          {ordered.map((step) => <StepView key={step.id} client={client} step={step} />)}
        </ol>
      )}
    </div>
  );
}
