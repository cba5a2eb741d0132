// The shell: who is logged in, the header (navigation, theme, logout), the page for the route, and
// a polite live region for "requested" messages.
import { useCallback, useEffect, useState } from "react";
import type { Session } from "./api";
import { api, setUnauthorizedHandler } from "./api";
import { Link } from "./components/link";
import { DetailPage } from "./pages/detail";
import { FormPage } from "./pages/form";
import { ListPage } from "./pages/list";
import { LoginPage } from "./pages/login";
import { navigate, parseRoute, useLocation } from "./router";
import { applicationStream } from "./stream";
import type { ThemeChoice } from "./theme";
import { applyTheme, storedTheme } from "./theme";

function useTheme(): [ThemeChoice, (t: ThemeChoice) => void, boolean] {
  const [choice, setChoice] = useState<ThemeChoice>(storedTheme);
  const [dark, setDark] = useState(() => document.documentElement.dataset["theme"] === "dark");
  useEffect(() => {
    const observer = new MutationObserver(() =>
      setDark(document.documentElement.dataset["theme"] === "dark"),
    );
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
    return () => observer.disconnect();
  }, []);
  const set = useCallback((t: ThemeChoice) => {
    applyTheme(t);
    setChoice(t);
  }, []);
  return [choice, set, dark];
}

export function App() {
  const location = useLocation();
  const [session, setSession] = useState<Session | null>();
  const [message, setMessage] = useState("");
  const [theme, setTheme, dark] = useTheme();

  useEffect(() => {
    void api.session().then(
      (s) => setSession(s ?? null),
      () => setSession(null),
    );
    setUnauthorizedHandler(() => setSession(null));
    applicationStream.onRefused = () => {
      void api.session().then((s) => {
        if (!s) setSession(null);
      });
    };
  }, []);

  const notify = useCallback((m: string) => setMessage(m), []);
  useEffect(() => {
    if (!message) return;
    const t = setTimeout(() => setMessage(""), 6_000);
    return () => clearTimeout(t);
  }, [message]);

  const url = new URL(location, window.location.origin);
  const route = parseRoute(url.pathname, url.search);

  if (session === undefined) return <p className="page">Loading…</p>;
  if (session === null) {
    return (
      <LoginPage
        onLogin={(s) => {
          setSession(s);
          applicationStream.reset();
          if (route.page === "login") navigate("/applications", { replace: true });
        }}
      />
    );
  }
  const logout = async () => {
    await api.logout();
    applicationStream.reset();
    setSession(null);
  };

  return (
    <>
      <a href="#main" className="skip">
        Skip to content
      </a>
      <header className="top">
        <Link to="/applications" className="brand">
          Tether
        </Link>
        <nav aria-label="Main">
          <Link to="/applications" current={route.page === "list"}>
            Applications
          </Link>
          <Link to="/new" current={route.page === "new"}>
            New application
          </Link>
        </nav>
        <div className="grow" />
        <label className="theme" htmlFor="theme-choice">
          Theme
        </label>
        <select id="theme-choice" value={theme} onChange={(e) => setTheme(e.target.value as ThemeChoice)}>
          <option value="system">System</option>
          <option value="light">Light</option>
          <option value="dark">Dark</option>
        </select>
        <span className="user" aria-label="Signed in as">
          {session.user}
        </span>
        <button type="button" onClick={() => void logout()}>
          Log out
        </button>
      </header>
      {route.page === "list" || route.page === "login" ? (
        <ListPage search={route.page === "list" ? route.search : new URLSearchParams()} />
      ) : null}
      {route.page === "app" ? (
        <DetailPage
          key={`${route.namespace}/${route.name}`}
          namespace={route.namespace}
          name={route.name}
          tab={route.tab}
          dark={dark}
          notify={notify}
        />
      ) : null}
      {route.page === "new" ? <FormPage notify={notify} /> : null}
      {route.page === "edit" ? (
        <FormPage key={`${route.namespace}/${route.name}`} edit={route} notify={notify} />
      ) : null}
      {route.page === "notfound" ? (
        <main id="main" className="page">
          <h1>Not found</h1>
          <Link to="/applications">Back to applications</Link>
        </main>
      ) : null}
      <div className="toast" role="status" aria-live="polite">
        {message}
      </div>
    </>
  );
}
