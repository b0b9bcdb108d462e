import { useEffect, useRef, useState } from 'preact/hooks';
import { call, describeError, platformAuthorization, type Secrets } from '../api';
import { Status } from '../components';

interface SwaggerRequest {
  headers: Record<string, string>;
}

/**
 * The element's OpenAPI document, read with the signed-in secrets and rendered by Swagger UI (bundled
 * from npm, loaded on this page only). "Try it out" calls carry the platform secrets unless the request
 * already has an Authorization header (set one in "Authorize" for hub calls with an element token).
 */
export const ApiReferencePage = ({ secrets }: { secrets: Secrets }) => {
  const container = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<string>();
  const [loading, setLoading] = useState(true);
  const auth = platformAuthorization(secrets);

  useEffect(() => {
    let cancelled = false;
    void (async () => {
      try {
        const [spec, { default: SwaggerUI }] = await Promise.all([
          call<Record<string, unknown>>(auth, '/elements/servicenow/docs'),
          import('swagger-ui-dist/swagger-ui-es-bundle.js'),
          import('swagger-ui-dist/swagger-ui.css'),
        ]);
        if (cancelled || !container.current) return;
        SwaggerUI({
          domNode: container.current,
          spec,
          validatorUrl: null,
          tryItOutEnabled: false,
          requestInterceptor: (request: SwaggerRequest) => {
            const hasAuthorization = Object.keys(request.headers).some(
              (h) => h.toLowerCase() === 'authorization',
            );
            if (!hasAuthorization) request.headers.Authorization = auth;
            return request;
          },
        });
      } catch (failure) {
        if (!cancelled) setError(describeError(failure));
      } finally {
        if (!cancelled) setLoading(false);
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [auth]);

  return (
    <>
      <h1>API reference</h1>
      {loading && <p role="status">Loading the OpenAPI document…</p>}
      <Status error={error} />
      <div ref={container} class="swagger" data-testid="api-reference" />
    </>
  );
};
