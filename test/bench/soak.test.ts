// The soak's 2-minute version (bench/soak --quick: 50 apps, a commit every 20 s, a drift every 5 s,
// one webhook storm), in CI. The verdict is the bench's own: it exits non-zero on a stuck app or a
// lost object, and its printed counts must say none. Slopes and delays are printed, not asserted:
// two minutes on a shared machine say nothing about a leak (docs/performance.md has the long runs).
import assert from "node:assert/strict";
import { test } from "node:test";
import { assertLines, NUMBER, runBench } from "../helpers/bench.js";

test("soak, quick: no stuck app, no lost object", { timeout: 330_000 }, async () => {
  const out = await runBench("soak", ["--quick"], 300_000);
  assertLines(out, [
    /done: [1-9]\d* commits, [1-9]\d* drifts .*, 1 storms \(\d+ pushes; responses [^)]*\)/,
    new RegExp(`controller heap used: ${NUMBER} → ${NUMBER} MiB, slope -?${NUMBER} MiB/h`),
    new RegExp(`controller event-loop delay p99 \\(per \\d+ s sample\\): p99 ${NUMBER} ms`),
    new RegExp(`controller active handles: ${NUMBER} → ${NUMBER}, slope -?${NUMBER} /h`),
    new RegExp(`apiserver requests/min \\(all clients\\): mean ${NUMBER}`),
    /metrics scrapes missed \(controller too busy to answer\): \d+ of \d+/,
  ]);
  assert.match(
    out,
    /apps stuck \(not Synced at the newest commit within \d+ s\): 0 \(all Synced at it [\d.]+ s after the soak's end\)\n/,
  );
  assert.match(
    out,
    /objects lost \(missing or drift not repaired within \d+ s\): 0 .*; not at Git's generation: 0\n/,
  );
});
