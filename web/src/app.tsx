import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiClient, ApiRequestError } from './api/client';
import { loadCapabilities, type Capabilities } from './api/capabilities';
import { KeyPrompt } from './components/key-prompt';
import { Playground } from './components/playground';
import { loadApiKey, saveApiKey } from './state/api-key';

type AuthState = { kind: 'checking' } | { kind: 'needs-key'; rejected: boolean } | { kind: 'ready'; capabilities: Capabilities } | { kind: 'error'; message: string };

/** Checks whether the server wants a key (a probe answered 401 `invalid_api_key`) before showing the playground. */
export function App() {
  const [apiKey, setApiKey] = useState<string | null>(() => loadApiKey());
  const keyRef = useRef(apiKey);
  keyRef.current = apiKey;
  const client = useMemo(() => new ApiClient(() => keyRef.current), []);
  const [auth, setAuth] = useState<AuthState>({ kind: 'checking' });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let live = true;
    setAuth({ kind: 'checking' });
    Promise.all([client.get('/assistants', { limit: 1 }), loadCapabilities()])
      .then(([, capabilities]) => live && setAuth({ kind: 'ready', capabilities }))
      .catch((err: Error) => {
        if (!live) return;
        if (err instanceof ApiRequestError && err.status === 401 && err.code === 'invalid_api_key') setAuth({ kind: 'needs-key', rejected: Boolean(keyRef.current) });
        else setAuth({ kind: 'error', message: err.message });
      });
    return () => {
      live = false;
    };
  }, [apiKey, client, attempt]);

  function changeKey(key: string | null) {
    saveApiKey(key);
    setApiKey(key);
  }

  if (auth.kind === 'checking') return <main class="splash" aria-busy="true">Connecting…</main>;
  if (auth.kind === 'needs-key') return <KeyPrompt rejected={auth.rejected} onSubmit={changeKey} />;
  if (auth.kind === 'error') {
    return (
      <main class="splash">
        <p class="error" role="alert">Cannot reach the API: {auth.message}</p>
        <button onClick={() => setAttempt((n) => n + 1)}>Retry</button>
      </main>
    );
  }
  return <Playground client={client} capabilities={auth.capabilities} hasKey={Boolean(apiKey)} onForgetKey={() => changeKey(null)} />;
}
