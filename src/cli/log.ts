// How the long-running commands (`tether controller`, `tether server`) log: one line per event on
// stderr with a full UTC timestamp, what `kubectl logs` users grep for.
export const timestampedLog = (line: string): void => {
  process.stderr.write(`${new Date().toISOString()} ${line}\n`);
};
