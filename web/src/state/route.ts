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

/** Which page: the chat (with its route), Responses mode (in a conversation, maybe), the vector stores (one of them, maybe) or the files. */
export type Page = { page: 'chat' } | { page: 'responses'; conversationId: string | null } | { page: 'stores'; storeId: string | null } | { page: 'files' };

const ID = '[A-Za-z0-9_-]+';
const PAGE = new RegExp(`^(.*?/)(?:assistants/(${ID})(?:/threads/(${ID}))?|threads/(${ID})|(stores)(?:/(${ID}))?|(files)|(responses)(?:/(${ID}))?)?$`);

function decode(pathname: string): { root: string; route: Route; page: Page } {
  const match = PAGE.exec(pathname);
  if (!match) return { root: pathname.replace(/[^/]*$/, ''), route: { assistantId: null, threadId: null }, page: { page: 'chat' } };
  const page: Page = match[5]
    ? { page: 'stores', storeId: match[6] ?? null }
    : match[7]
      ? { page: 'files' }
      : match[8]
        ? { page: 'responses', conversationId: match[9] ?? null }
        : { page: 'chat' };
  return { root: match[1]!, route: { assistantId: match[2] ?? null, threadId: match[3] ?? match[4] ?? null }, page };
}

export function parsePage(pathname = location.pathname): Page {
  return decode(pathname).page;
}

/** The address of a page other than the chat. */
export function pagePath(page: Exclude<Page, { page: 'chat' }>): string {
  if (page.page === 'files') return `${appRoot()}files`;
  if (page.page === 'responses') return `${appRoot()}responses${page.conversationId ? `/${page.conversationId}` : ''}`;
  return `${appRoot()}stores${page.storeId ? `/${page.storeId}` : ''}`;
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

/**
 * The current page and chat route, following back and forward. `navigate` pushes a history entry (or replaces
 * the current one) for a chat route; `go` for another page's address.
 */
export function useRoute() {
  const [where, setWhere] = useState(() => ({ route: parseRoute(), page: parsePage() }));
  useEffect(() => {
    const onPop = () => setWhere({ route: parseRoute(), page: parsePage() });
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);
  function go(path: string, replace = false) {
    if (path === location.pathname) return;
    if (replace) history.replaceState(null, '', path);
    else history.pushState(null, '', path);
    setWhere({ route: parseRoute(), page: parsePage() });
  }
  const navigate = (next: Route, replace = false) => go(routePath(next), replace);
  return { route: where.route, page: where.page, navigate, go };
}
