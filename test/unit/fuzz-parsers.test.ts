// Quick mode of the parser fuzzers: every property of test/fuzz/properties.ts, a few hundred cases
// each from a fixed seed, so the unit suite stays deterministic and takes seconds. `npm run fuzz`
// runs the same properties for millions of cases with a random seed; what it finds becomes a case
// in fuzz-regressions.test.ts.
import { test } from "node:test";
import fc from "fast-check";
import { FUZZ_PROPERTIES } from "../fuzz/properties.js";

const SEED = 20231;
/** TETHER_FUZZ_QUICK_SCALE=10 runs ten times the cases (still from the fixed seed). */
const SCALE = Number(process.env["TETHER_FUZZ_QUICK_SCALE"] ?? 1);

for (const fuzz of FUZZ_PROPERTIES) {
  const runs = Math.max(1, Math.round(fuzz.quickRuns * SCALE));
  test(`fuzz ${fuzz.name}: ${runs} cases, only documented errors, each within ${fuzz.limitMs} ms`, async () => {
    await fc.assert(fuzz.property(), { seed: SEED, numRuns: runs });
  });
}
