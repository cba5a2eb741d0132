// The text of a caught value. `catch (error)` gives `unknown`: usually an Error, but a library or a
// `throw "text"` can hand over anything, and a message must never read "[object Object]" by accident
// or throw while being built.

/** `error.message` for an Error, else the value as a string. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
