import { useEffect, useState } from 'preact/hooks';

/**
 * Where the playground is: the assistant and thread live in the path (`/assistants/asst_…/threads/thread_…`), so
 * a reload, back and forward and a shared link all land on the same place. The server answers these paths with
 * the page (src/http/web-assets.ts keeps the same list).
 */
export interface Route {
  assistantId: string | null;
  threadId: string | null;
}

const ID = '[A-Za-z0-9_-]+';
const PAGE = new RegExp(`^(.*?/)(?:assistants/(${ID})(?:/threads/(${ID}))?|threads/(${ID}))?$`);

function decode(pathname: string): { root: string; route: Route } {
  const match = PAGE.exec(pathname);
  if (!match) return { root: pathname.replace(/[^/]*$/, ''), route: { assistantId: null, threadId: null } };
  return { root: match[1]!, route: { assistantId: match[2] ?? null, threadId: match[3] ?? match[4] ?? null } };
}

/** The path the playground is served at (`/`, or a proxy's prefix), ending in `/`: the API and assets are beside it. */
export function appRoot(pathname = location.pathname): string {
  return decode(pathname).root;
}

export function parseRoute(pathname = location.pathname): Route {
  return decode(pathname).route;
}

export function routePath(route: Route): string {
  const root = appRoot();
  if (route.assistantId) return `${root}assistants/${route.assistantId}${route.threadId ? `/threads/${route.threadId}` : ''}`;
  return route.threadId ? `${root}threads/${route.threadId}` : root;
}

/** The current route, following back and forward; `navigate` pushes a history entry (or replaces the current one). */
export function useRoute() {
  const [route, setRoute] = useState<Route>(() => parseRoute());
  useEffect(() => {
    const onPop = () => setRoute(parseRoute());
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);
  function navigate(next: Route, replace = false) {
    const path = routePath(next);
    if (path === location.pathname) return;
    if (replace) history.replaceState(null, '', path);
    else history.pushState(null, '', path);
    setRoute(parseRoute());
  }
  return { route, navigate };
}
