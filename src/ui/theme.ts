// Light and dark themes: the system's preference (prefers-color-scheme) unless the user picks one,
// remembered in localStorage. The choice is a data-theme attribute the stylesheet keys on.
export type ThemeChoice = "system" | "light" | "dark";
const KEY = "tether.theme";
const media = window.matchMedia("(prefers-color-scheme: dark)");

export function storedTheme(): ThemeChoice {
  const value = localStorage.getItem(KEY);
  return value === "light" || value === "dark" ? value : "system";
}

export function applyTheme(choice: ThemeChoice): void {
  if (choice === "system") localStorage.removeItem(KEY);
  else localStorage.setItem(KEY, choice);
  const dark = choice === "dark" || (choice === "system" && media.matches);
  document.documentElement.dataset["theme"] = dark ? "dark" : "light";
}

media.addEventListener("change", () => applyTheme(storedTheme()));
