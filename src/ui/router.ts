// A small History-API router: the routes are few and fixed, so no router library. Paths are real
// URLs (the API server answers unknown non-API paths with index.html), so reloads and links work.
import { useSyncExternalStore } from "react";

export type DetailTab = "tree" | "diff" | "history" | "events" | "logs";
export const DETAIL_TABS: readonly DetailTab[] = ["tree", "diff", "history", "events", "logs"];

export type Route =
  | { page: "list"; search: URLSearchParams }
  | { page: "login" }
  | { page: "new" }
  | { page: "edit"; namespace: string; name: string }
  | { page: "app"; namespace: string; name: string; tab: DetailTab }
  | { page: "notfound" };

export function parseRoute(pathname: string, search: string): Route {
  const parts = pathname.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0 || (parts.length === 1 && parts[0] === "applications")) {
    return { page: "list", search: new URLSearchParams(search) };
  }
  if (parts[0] === "login" && parts.length === 1) return { page: "login" };
  if (parts[0] === "new" && parts.length === 1) return { page: "new" };
  if (parts[0] === "applications" && parts.length >= 3 && parts.length <= 4) {
    const [, namespace = "", name = "", rest] = parts;
    if (rest === "edit") return { page: "edit", namespace, name };
    const tab = (rest ?? "tree") as DetailTab;
    if (DETAIL_TABS.includes(tab)) return { page: "app", namespace, name, tab };
  }
  return { page: "notfound" };
}

export const appUrl = (namespace: string, name: string, rest?: string) =>
  `/applications/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}${rest ? `/${rest}` : ""}`;

const listeners = new Set<() => void>();
let current = `${location.pathname}${location.search}`;
window.addEventListener("popstate", () => {
  current = `${location.pathname}${location.search}`;
  listeners.forEach((l) => l());
});

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === `${location.pathname}${location.search}`) return;
  if (options.replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  current = `${location.pathname}${location.search}`;
  listeners.forEach((l) => l());
  if (!options.replace) window.scrollTo(0, 0);
}

export function useLocation(): string {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => current,
  );
}
