import { describe, expect, it } from 'vitest';
import { createRouteMatcher } from '../../functions/local/route-matcher';
import { ROUTES } from '../../functions/routes';

const match = createRouteMatcher([
  { method: 'GET', path: '/instances', functionName: 'list' },
  { method: 'POST', path: '/instances', functionName: 'create' },
  { method: 'GET', path: '/instances/{id}', functionName: 'get' },
  { method: 'DELETE', path: '/instances/{id}', functionName: 'delete' },
  { method: 'GET', path: '/instances/docs', functionName: 'docs' },
  { method: 'GET', path: '/hubs/helpdesk/{proxy+}', functionName: 'hub' },
]);

describe('route matching', () => {
  it('prefers a literal segment over a parameter, as API Gateway does', () => {
    expect(match('GET', '/instances/docs')).toMatchObject({ kind: 'found', route: { functionName: 'docs' } });
    expect(match('GET', '/instances/42')).toMatchObject({ kind: 'found', pathParameters: { id: '42' } });
  });

  it('ranks segments left to right, so an earlier literal wins over more literals later', () => {
    const product = createRouteMatcher(ROUTES);
    // `/bulk/{id}/{objectName}` (bulk) against `/{objectName}/{id}/comments` (hub): both have one literal.
    expect(product('GET', '/bulk/job1/comments')).toMatchObject({
      kind: 'found',
      route: { functionName: 'bulk', path: '/bulk/{id}/{objectName}' },
      pathParameters: { id: 'job1', objectName: 'comments' },
    });
    expect(product('GET', '/incidents/1/comments')).toMatchObject({
      route: { functionName: 'hub', path: '/{objectName}/{id}/comments' },
    });
    expect(product('POST', '/bulk/query')).toMatchObject({ route: { path: '/bulk/query' } });
    expect(product('POST', '/bulk/incidents')).toMatchObject({ route: { path: '/bulk/{id}' } });
  });

  it('gives a greedy parameter the rest of the path, but not nothing', () => {
    expect(match('GET', '/hubs/helpdesk/incidents/1/comments')).toMatchObject({
      pathParameters: { proxy: 'incidents/1/comments' },
    });
    expect(match('GET', '/hubs/helpdesk')).toEqual({ kind: 'notFound' });
  });

  it('lists the verbs a known path allows', () => {
    expect(match('PUT', '/instances/42')).toEqual({ kind: 'methodNotAllowed', allow: ['DELETE', 'GET'] });
    expect(match('PATCH', '/instances')).toEqual({ kind: 'methodNotAllowed', allow: ['GET', 'POST'] });
  });

  it('does not match extra or missing segments', () => {
    expect(match('GET', '/instances/42/extra')).toEqual({ kind: 'notFound' });
    expect(match('GET', '/')).toEqual({ kind: 'notFound' });
  });

  it('accepts every product route', () => {
    const product = createRouteMatcher(ROUTES);
    for (const route of ROUTES) {
      const concrete = route.path.replace(/\{[^}]+\}/g, 'x');
      expect(product(route.method, concrete)).toMatchObject({ kind: 'found', route });
    }
  });
});
