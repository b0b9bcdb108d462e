import { useState } from 'preact/hooks';
import { ApiError, call, describeError, platformAuthorization, type Secrets, saveSecrets } from '../api';
import { Status, TextInput } from '../components';

/**
 * Sign-in with the user and organization secrets: checked with one platform call before they are kept
 * (in sessionStorage, for this tab only).
 */
export const SignInPage = ({ onSignedIn }: { onSignedIn: (secrets: Secrets) => void }) => {
  const [user, setUser] = useState('');
  const [organization, setOrganization] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const secrets = { user: user.trim(), organization: organization.trim() };
    setBusy(true);
    setError(undefined);
    try {
      await call(platformAuthorization(secrets), '/instances');
      saveSecrets(secrets);
      onSignedIn(secrets);
    } catch (failure) {
      setError(
        failure instanceof ApiError && (failure.status === 401 || failure.status === 403)
          ? `These secrets were refused (${failure.message}). Use the user and organization secrets that npm start printed, or the ones your deployment set.`
          : describeError(failure),
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="narrow" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in</h1>
      <p>
        The secrets stay in this browser tab only (session storage) and are sent with each call in the{' '}
        <code>Authorization</code> header.
      </p>
      <form onSubmit={submit}>
        <TextInput
          label="User secret"
          name="user"
          type="password"
          autocomplete="off"
          required
          value={user}
          onValue={setUser}
        />
        <TextInput
          label="Organization secret"
          name="organization"
          type="password"
          autocomplete="off"
          required
          value={organization}
          onValue={setOrganization}
        />
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <Status error={error} />
    </section>
  );
};
