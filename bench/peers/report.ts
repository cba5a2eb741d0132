// The side-by-side table: one row per measure, Tether's and Flux's figures, and Tether/Flux
// (below 1 means Tether is faster or smaller). Printed as Markdown so it pastes into docs/performance.md.
import os from "node:os";
import { percentile } from "../lib/stats.js";
import type { FluxBinary } from "./fluxbuild.js";
import type { SteadyState } from "./tetherprocess.js";

export interface Figures {
  readonly initial: { readonly seconds: number; readonly objectsPerSecond: number };
  readonly largeSeconds: number;
  /** Drift → reverted, by interval ("1m", "10s"); Tether has one entry (it does not wait for one). */
  readonly driftMs: Readonly<Record<string, readonly number[]>>;
  readonly commitMs: readonly number[];
  readonly commitStatusMs: readonly number[];
  readonly steady: SteadyState;
}

export interface Report {
  readonly opts: {
    readonly quick: boolean;
    readonly apps: number;
    readonly large: number;
    readonly interval: string;
    readonly shortInterval: string;
    readonly steadySeconds: number;
  };
  readonly builds: readonly FluxBinary[];
  readonly tether: Figures;
  readonly flux: Figures;
  readonly wallSeconds: number;
  readonly load: readonly number[];
}

const ms = (v: number) =>
  Number.isNaN(v) ? "-" : v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${v.toFixed(0)} ms`;
const ratio = (t: number, f: number) =>
  Number.isFinite(t) && Number.isFinite(f) && f !== 0 ? `${(t / f).toFixed(t / f < 0.1 ? 3 : 2)}` : "-";
const total = (s: SteadyState) =>
  s.rows[s.rows.length - 1] ?? { name: "-", rssMiB: Number.NaN, cpuPercent: Number.NaN };

export function printReport(r: Report): void {
  const { tether: t, flux: f, opts } = r;
  const rows: [string, string, string, string][] = [];
  const pct = (label: string, tv: readonly number[], fv: readonly number[]) => {
    for (const p of [50, 99]) {
      const a = percentile(tv, p);
      const b = percentile(fv, p);
      rows.push([`${label} p${p} (n=${tv.length}/${fv.length})`, ms(a), ms(b), ratio(a, b)]);
    }
  };
  const tDrift = Object.values(t.driftMs)[0] ?? [];
  for (const [interval, values] of Object.entries(f.driftMs)) {
    pct(`drift → reverted, Flux interval ${interval}`, tDrift, values);
  }
  pct("commit → applied (push + webhook-equivalent)", t.commitMs, f.commitMs);
  pct("commit → status at the commit", t.commitStatusMs, f.commitStatusMs);
  rows.push([
    `initial sync ${opts.apps} apps × 10 objects, objects/s`,
    t.initial.objectsPerSecond.toFixed(1),
    f.initial.objectsPerSecond.toFixed(1),
    ratio(t.initial.objectsPerSecond, f.initial.objectsPerSecond),
  ]);
  rows.push([
    `initial sync ${opts.apps} apps, all applied`,
    `${t.initial.seconds.toFixed(1)} s`,
    `${f.initial.seconds.toFixed(1)} s`,
    ratio(t.initial.seconds, f.initial.seconds),
  ]);
  rows.push([
    `one app of ${opts.large} objects → Synced / Ready`,
    `${t.largeSeconds.toFixed(1)} s`,
    `${f.largeSeconds.toFixed(1)} s`,
    ratio(t.largeSeconds, f.largeSeconds),
  ]);
  const ts = total(t.steady);
  const fs = total(f.steady);
  rows.push([
    `steady-state RSS (MiB)`,
    ts.rssMiB.toFixed(0),
    fs.rssMiB.toFixed(0),
    ratio(ts.rssMiB, fs.rssMiB),
  ]);
  rows.push([
    `steady-state CPU (% of a core, ${opts.steadySeconds} s)`,
    ts.cpuPercent.toFixed(1),
    fs.cpuPercent.toFixed(1),
    ratio(ts.cpuPercent, fs.cpuPercent),
  ]);

  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((row) => row[i]?.length ?? 0), 12));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  console.log("");
  console.log(
    `Side by side with Flux (${opts.quick ? "quick" : "full"} run, ${new Date().toISOString().slice(0, 10)})`,
  );
  console.log(
    `Flux: ${r.builds.map((b) => `${b.name} ${b.version}${b.cached ? "" : ` (built in ${b.buildSeconds} s)`}`).join(", ")}`,
  );
  console.log(
    `Tether polls Git every ${opts.interval}; Flux intervals ${opts.interval} (GitRepository + Kustomization).`,
  );
  console.log(
    `machine: ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; load average at the end ${r.load.map((l) => l.toFixed(1)).join(" ")}; wall ${(r.wallSeconds / 60).toFixed(1)} min`,
  );
  console.log("");
  console.log(line(["measure", "Tether", "Flux", "Tether/Flux"]));
  console.log(line(widths.map((w) => "-".repeat(w))));
  for (const row of rows) console.log(line(row));
  console.log("");
  console.log("steady state per process:");
  for (const [product, s] of [
    ["Tether", t.steady],
    ["Flux", f.steady],
  ] as const) {
    for (const row of s.rows)
      console.log(
        `  ${product.padEnd(7)} ${row.name.padEnd(22)} RSS ${row.rssMiB.toFixed(0).padStart(5)} MiB  CPU ${row.cpuPercent.toFixed(1).padStart(5)} %`,
      );
  }
}
