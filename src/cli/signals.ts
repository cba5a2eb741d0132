// Graceful stop for foreground commands (`local up`, `controller`). The first SIGINT/SIGTERM starts
// a clean stop. A terminal's Ctrl-C can arrive twice within milliseconds (npx/tsx relay it to the
// child as well), so a repeat within DUPLICATE_MS is the same request; a later one means the user
// insists, and the process exits at once (a stop that hangs stays killable).
const DUPLICATE_MS = 1_500;

export function shutdownSignal(log: (line: string) => void): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let first: number | undefined;
    const onSignal = (signal: NodeJS.Signals) => {
      if (first === undefined) {
        first = Date.now();
        resolve(signal);
        return;
      }
      if (Date.now() - first < DUPLICATE_MS) return;
      log(`second ${signal}: exiting without waiting for the stop to finish`);
      process.exit(1);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}
