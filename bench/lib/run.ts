// Process glue shared by the benchmarks: `--trials N` / `--quick` parsing, and a run that owns
// cleanup. Everything started registers how to undo itself; the undo steps run in reverse order
// when the benchmark ends, fails, or is interrupted (Ctrl-C stops the trials, prints what was
// measured so far, cleans up and exits 0; a second Ctrl-C exits at once).
import { parseArgs } from "node:util";
import { errorMessage } from "../../src/lib/errormessage.js";

export interface BenchArgs {
  readonly trials: number;
  readonly quick: boolean;
  readonly verbose: boolean;
}

export function benchArgs(defaultTrials: number, quickTrials: number): BenchArgs {
  const { values } = parseArgs({
    options: {
      trials: { type: "string" },
      quick: { type: "boolean", default: false },
      verbose: { type: "boolean", default: false },
    },
  });
  const trials = Number(values.trials ?? (values.quick ? quickTrials : defaultTrials));
  if (!Number.isInteger(trials) || trials < 1 || trials > 10_000) {
    throw new Error(`--trials must be an integer between 1 and 10000, got ${values.trials}`);
  }
  return { trials, quick: values.quick, verbose: values.verbose };
}

export class BenchRun {
  private readonly undo: { what: string; step: () => Promise<unknown> }[] = [];
  private readonly controller = new AbortController();
  private interruptedAt = 0;
  private readonly onSignal = (signal: NodeJS.Signals) => {
    // A terminal's Ctrl-C reaches this process twice (directly, and relayed by the tsx wrapper):
    // only a second signal well after the first means "exit now".
    if (this.controller.signal.aborted && performance.now() - this.interruptedAt < 1_000) return;
    if (this.controller.signal.aborted) {
      process.stderr.write(`\nbench: second ${signal}, exiting without cleanup\n`);
      process.exit(130);
    }
    process.stderr.write(`\nbench: ${signal}: stopping after the current step, then cleaning up\n`);
    this.interruptedAt = performance.now();
    this.controller.abort();
  };

  constructor() {
    process.on("SIGINT", this.onSignal);
    process.on("SIGTERM", this.onSignal);
  }

  /** Aborted on Ctrl-C / SIGTERM. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get interrupted(): boolean {
    return this.controller.signal.aborted;
  }

  /** Throws when interrupted: call between setup steps. */
  check(): void {
    if (this.interrupted) throw new Error("interrupted");
  }

  /**
   * Runs `trial` up to `count` times, stopping early when interrupted (the trial in flight is
   * dropped, the ones finished are kept). Returns how many finished.
   */
  async trials(count: number, trial: (index: number) => Promise<void>): Promise<number> {
    let done = 0;
    for (let i = 0; i < count && !this.interrupted; i++) {
      try {
        await trial(i);
        done += 1;
      } catch (error) {
        if (this.interrupted) break;
        throw error;
      }
    }
    return done;
  }

  /** Registers an undo step; steps run last-registered first. */
  defer(what: string, step: () => Promise<unknown>): void {
    this.undo.push({ what, step });
  }

  async cleanup(): Promise<void> {
    for (const { what, step } of this.undo.reverse()) {
      try {
        await step();
      } catch (error) {
        process.stderr.write(`bench: cleanup "${what}" failed: ${errorMessage(error)}\n`);
      }
    }
    this.undo.length = 0;
    process.off("SIGINT", this.onSignal);
    process.off("SIGTERM", this.onSignal);
  }
}

/** Runs `main` inside a BenchRun, always cleans up, and exits 0 on success or interruption. */
export function runBench(main: (run: BenchRun) => Promise<void>): void {
  const run = new BenchRun();
  main(run)
    .then(
      () => 0,
      (error: unknown) => {
        if (run.interrupted) return 0;
        process.stderr.write(
          `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
        );
        return 1;
      },
    )
    .then(async (code) => {
      await run.cleanup();
      process.exit(code);
    })
    .catch(() => process.exit(1));
}
