// Go-style durations ("30s", "5m", "1h30m", "250ms") as milliseconds. Pure.
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

export function parseDuration(text: string, field: string): number {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * (UNIT_MS[m[2] ?? ""] ?? 0);
    matched = re.lastIndex;
  }
  // 400 nines make Infinity; a timer given that (or anything past 2^31 ms) fires at once, and the
  // registry would be scanned in a loop.
  if (text === "" || matched !== text.length || !Number.isFinite(total)) {
    throw new Error(`${field} "${text}" is not a duration (e.g. 30s, 5m, 1h)`);
  }
  return total;
}
