import { useEffect, useRef, useState } from 'preact/hooks';
import type { ListPage } from '../../../src/domain/types';
import type { ApiClient } from '../api/client';
import type { Capabilities } from '../api/capabilities';
import { loadSettings, saveSettings, type ResponseSettings } from './response-settings';

/** Responses mode's settings (kept in this browser) and the models the server offers for the model box. */
export function useResponseSettings(client: ApiClient, capabilities: Capabilities) {
  const [settings, setSettings] = useState<ResponseSettings>(() => loadSettings());
  const [models, setModels] = useState<string[]>([]);
  // Once the person has typed a model, the list arriving later must not choose one for them.
  const touched = useRef(settings.model !== '');

  const update = (change: (s: ResponseSettings) => Partial<ResponseSettings>) =>
    setSettings((s) => {
      const next = { ...s, ...change(s) };
      if (next.model !== s.model) touched.current = true;
      saveSettings(next);
      return next;
    });

  useEffect(() => {
    if (!capabilities.models) return;
    let live = true;
    client
      .get<ListPage<{ id: string }>>('/models')
      .then((page) => {
        if (!live) return;
        const served = page.data.map((m) => m.id);
        setModels(served);
        if (!touched.current && served[0]) setSettings((s) => (s.model ? s : { ...s, model: served[0]! }));
      })
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [client, capabilities]);

  const suggestions = [...new Set([...models, 'scripted'])];
  return { settings, update, suggestions };
}

export type ResponseSettingsState = ReturnType<typeof useResponseSettings>;
