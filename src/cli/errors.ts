/** A mistake in how the command was called: exit code 2 and the usage text. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}
