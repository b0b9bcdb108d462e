import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { clearSecrets, loadSecrets, type Secrets } from './api';
import { ApiReferencePage } from './pages/api-reference';
import { BulkPage } from './pages/bulk';
import { InstanceDetailPage } from './pages/instance-detail';
import { InstancesPage } from './pages/instances';
import { SignInPage } from './pages/sign-in';
import { TransformationsPage } from './pages/transformations';
import { navigate, type Route, useRoute } from './router';
import './styles.css';

const NAV: { href: string; label: string; match: (route: Route) => boolean }[] = [
  { href: '#/instances', label: 'Instances', match: (r) => r.path[0] === 'instances' || r.path.length === 0 },
  { href: '#/bulk', label: 'Bulk', match: (r) => r.path[0] === 'bulk' },
  { href: '#/transformations', label: 'Transformations', match: (r) => r.path[0] === 'transformations' },
  { href: '#/api', label: 'API reference', match: (r) => r.path[0] === 'api' },
];

const ConnectError = ({ route }: { route: Route }) => (
  <section aria-labelledby="connect-error-title">
    <h1 id="connect-error-title">Connecting ServiceNow failed</h1>
    <p role="alert" class="error">
      {route.query.get('message') ?? route.query.get('reason') ?? 'The authorization did not complete.'}
    </p>
    <p>
      <a href="#/instances">Back to the instances</a> and try again.
    </p>
  </section>
);

const Page = ({ route, secrets }: { route: Route; secrets: Secrets }) => {
  const [first, second] = route.path;
  if (first === 'instances' && second !== undefined) {
    return <InstanceDetailPage secrets={secrets} id={Number(second)} query={route.query} />;
  }
  if (first === 'bulk') return <BulkPage secrets={secrets} query={route.query} />;
  if (first === 'transformations') return <TransformationsPage secrets={secrets} />;
  if (first === 'api') return <ApiReferencePage secrets={secrets} />;
  if (first === 'connect-error') return <ConnectError route={route} />;
  return <InstancesPage secrets={secrets} />;
};

const App = () => {
  const route = useRoute();
  const [secrets, setSecrets] = useState<Secrets | undefined>(loadSecrets);
  const main = useRef<HTMLElement>(null);
  // Screen readers and keyboards land on the new page's content after each navigation.
  const routeKey = route.path.join('/');
  useEffect(() => {
    if (routeKey !== '') main.current?.focus();
  }, [routeKey]);

  const signOut = () => {
    clearSecrets();
    setSecrets(undefined);
    navigate('#/');
  };

  return (
    <>
      <button type="button" class="skip" onClick={() => main.current?.focus()}>
        Skip to content
      </button>
      <header class="top">
        <span class="brand">snow-element</span>
        {secrets && (
          <nav aria-label="Main">
            <ul>
              {NAV.map((item) => (
                <li key={item.href}>
                  <a href={item.href} aria-current={item.match(route) ? 'page' : undefined}>
                    {item.label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        )}
        {secrets && (
          <button type="button" class="secondary sign-out" onClick={signOut}>
            Sign out
          </button>
        )}
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {secrets ? (
          <Page route={route} secrets={secrets} />
        ) : (
          <SignInPage onSignedIn={(signedIn) => setSecrets(signedIn)} />
        )}
      </main>
    </>
  );
};

const root = document.getElementById('app');
if (root) render(<App />, root);
