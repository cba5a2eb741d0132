// Flag values shared by the long-running commands (`tether controller`, `tether server`); each
// failure is a UsageError naming the flag.
import { UsageError } from "./errors.js";

// RFC 1123 label, the rule for namespace names.
export function namespaceName(flag: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(value))
    throw new UsageError(`${flag}: "${value}" is not a valid namespace name`);
  return value;
}
