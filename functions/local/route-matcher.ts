import type { RouteAuth } from '../routes';

/** A route as local mode sees it: the product's ROUTES, or test routes with their own handler names. */
export interface LocalRoute {
  method: string;
  /** Below the API base path, API Gateway syntax: `/instances/{id}`, `/files/{proxy+}`. */
  path: string;
  functionName: string;
  auth?: RouteAuth;
}

export type RouteMatch =
  | { kind: 'found'; route: LocalRoute; pathParameters: Record<string, string> }
  | { kind: 'methodNotAllowed'; allow: string[] }
  | { kind: 'notFound' };

type Segment =
  | { kind: 'literal'; value: string }
  | { kind: 'param'; name: string }
  | { kind: 'greedy'; name: string };

interface CompiledRoute {
  route: LocalRoute;
  segments: Segment[];
  /**
   * Per segment, left to right: literal 2, parameter 1, greedy 0. API Gateway walks the path the same
   * way, so `/bulk/{id}/{objectName}` beats `/{objectName}/{id}/comments` for `/bulk/1/comments`.
   */
  rank: number[];
  greedy: boolean;
}

const splitPath = (path: string) => path.split('/').filter((part) => part.length > 0);

const compile = (route: LocalRoute): CompiledRoute => {
  const segments = splitPath(route.path).map((part, index, all): Segment => {
    const param = /^\{([A-Za-z0-9_]+)(\+)?\}$/.exec(part);
    if (!param) return { kind: 'literal', value: part };
    if (param[2] && index !== all.length - 1)
      throw new Error(`Greedy parameter must be last in ${route.path}`);
    return param[2] ? { kind: 'greedy', name: param[1]! } : { kind: 'param', name: param[1]! };
  });
  const greedy = segments.some((segment) => segment.kind === 'greedy');
  const rank = segments.map((segment) => (segment.kind === 'literal' ? 2 : segment.kind === 'param' ? 1 : 0));
  return { route, segments, rank, greedy };
};

/** Most specific first; among equals, the longer route (a greedy one covers the rest of the path). */
const bySpecificity = (a: CompiledRoute, b: CompiledRoute): number => {
  for (let index = 0; index < Math.min(a.rank.length, b.rank.length); index++) {
    const difference = (b.rank[index] ?? 0) - (a.rank[index] ?? 0);
    if (difference !== 0) return difference;
  }
  return b.rank.length - a.rank.length;
};

const decode = (part: string) => {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
};

const matchSegments = (segments: Segment[], parts: string[]): Record<string, string> | undefined => {
  const parameters: Record<string, string> = {};
  for (const [index, segment] of segments.entries()) {
    if (segment.kind === 'greedy') {
      const rest = parts.slice(index);
      if (rest.length === 0) return undefined;
      parameters[segment.name] = rest.map(decode).join('/');
      return parameters;
    }
    const part = parts[index];
    if (part === undefined) return undefined;
    if (segment.kind === 'literal') {
      if (part !== segment.value) return undefined;
    } else {
      parameters[segment.name] = decode(part);
    }
  }
  return segments.length === parts.length ? parameters : undefined;
};

/**
 * Matches a path below the base path against route templates the way API Gateway's HTTP API does:
 * `{name}` takes one segment, `{name+}` the rest; a known path with another verb is a 405.
 */
export const createRouteMatcher = (routes: readonly LocalRoute[]) => {
  const compiled = routes.map(compile).sort(bySpecificity);
  return (method: string, path: string): RouteMatch => {
    const parts = splitPath(path);
    const allow = new Set<string>();
    for (const candidate of compiled) {
      // A route matches only a path of its own length (a greedy one: at least its length); skipping the
      // others early matters with dozens of routes on every request.
      const length = candidate.segments.length;
      if (candidate.greedy ? parts.length < length : parts.length !== length) continue;
      const pathParameters = matchSegments(candidate.segments, parts);
      if (!pathParameters) continue;
      if (candidate.route.method === method) return { kind: 'found', route: candidate.route, pathParameters };
      allow.add(candidate.route.method);
    }
    return allow.size > 0 ? { kind: 'methodNotAllowed', allow: [...allow].sort() } : { kind: 'notFound' };
  };
};
