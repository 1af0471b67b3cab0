import { useState } from 'preact/hooks';

interface Props {
  rejected: boolean;
  onSubmit(key: string): void;
}

/** Asks for the server's API key once; it is kept in this browser's local storage. */
export function KeyPrompt({ rejected, onSubmit }: Props) {
  const [key, setKey] = useState('');
  return (
    <main class="key-prompt">
      <form
        class="card"
        onSubmit={(e) => {
          e.preventDefault();
          if (key.trim()) onSubmit(key.trim());
        }}
      >
        <h1>assistd playground</h1>
        <p>This server needs an API key. It is stored in this browser only and sent with each request.</p>
        {rejected && <p class="error" role="alert">The server rejected that key. Check it and try again.</p>}
        <label>
          API key
          <input type="password" autoComplete="off" value={key} onInput={(e) => setKey(e.currentTarget.value)} autoFocus />
        </label>
        <button type="submit" class="primary" disabled={!key.trim()}>Continue</button>
      </form>
    </main>
  );
}
