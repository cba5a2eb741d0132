// Login: the local admin (POST /api/v1/session), and an SSO button when the server announces an
// OIDC provider (GET /api/v1/auth/config → {oidc: {enabled, name, loginUrl}}).
import type { FormEvent } from "react";
import { useEffect, useState } from "react";
import type { AuthConfig, Session } from "../api";
import { api } from "../api";
import { ErrorText } from "../components/dialog";
import { safeHttpUrl } from "../links";

export function LoginPage({ onLogin }: { onLogin: (session: Session) => void }) {
  const [username, setUsername] = useState("admin");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [config, setConfig] = useState<AuthConfig>({});

  useEffect(() => {
    void api.authConfig().then(setConfig);
  }, []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      onLogin(await api.login(username, password));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const oidc = config.oidc;
  // Same-origin paths or http(s) URLs only: a `javascript:` loginUrl never becomes a link.
  const ssoUrl = oidc?.enabled ? safeHttpUrl(oidc.loginUrl, location.origin) : undefined;

  return (
    <main className="login" id="main">
      <form onSubmit={(e) => void submit(e)} aria-labelledby="login-title" className="card">
        <h1 id="login-title">Sign in to Tether</h1>
        <label>
          Username
          <input
            name="username"
            autoComplete="username"
            required
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        <ErrorText error={error} />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
        {ssoUrl ? (
          <>
            <p className="or">or</p>
            <a className="button" href={ssoUrl}>
              Log in with {oidc?.name || "SSO"}
            </a>
          </>
        ) : null}
      </form>
    </main>
  );
}
