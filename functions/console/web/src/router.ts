import { useEffect, useState } from 'preact/hooks';

/** Hash routing (`#/instances/12?connected=1`): the server serves one page and needs no fallback. */
export interface Route {
  path: string[];
  query: URLSearchParams;
}

export const parseHash = (hash: string): Route => {
  const [path = '', query = ''] = hash.replace(/^#\/?/, '').split('?', 2);
  return { path: path.split('/').filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(query) };
};

export const navigate = (hash: string): void => {
  location.hash = hash;
};

export const useRoute = (): Route => {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseHash(location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
};
