// The soak's growth figures: a least-squares slope, robust to one spike, NaN without data.
import assert from "node:assert/strict";
import { test } from "node:test";
import { slope } from "../../bench/lib/stats.js";

test("slope: least squares over every point", () => {
  assert.equal(
    slope([
      [0, 1],
      [1, 3],
      [2, 5],
    ]),
    2,
  );
  assert.equal(
    slope([
      [0, 10],
      [1, 10],
      [2, 10],
    ]),
    0,
  );
  // One spike in the middle leaves a flat series flat.
  assert.equal(
    slope([
      [0, 0],
      [1, 0],
      [2, 100],
      [3, 0],
      [4, 0],
    ]),
    0,
  );
  assert.ok(Number.isNaN(slope([[1, 1]])));
  assert.ok(
    Number.isNaN(
      slope([
        [1, 1],
        [1, 2],
      ]),
    ),
  );
});
