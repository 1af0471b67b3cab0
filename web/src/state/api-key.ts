// The API key lives in this browser's local storage only; the server never sees it except as a request header.
const STORAGE_KEY = 'assistd.playground.apiKey';

export function loadApiKey(): string | null {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export function saveApiKey(key: string | null): void {
  if (key) localStorage.setItem(STORAGE_KEY, key);
  else localStorage.removeItem(STORAGE_KEY);
}
