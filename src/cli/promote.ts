// `tether promote APP --from ENV --to ENV`: one Git commit that carries image tags (Kustomize
// overlays) and values (Helm values files) from one environment to the next; `tether promote
// history APP` lists the app's promotions from the commits' `Tether-Promotion` trailers.
import { parseArgs } from "node:util";
import type { Author } from "../promote/git.js";
import { promote, promotionHistory } from "../promote/git.js";
import { UsageError } from "./errors.js";

export const PROMOTE_USAGE = `Usage: tether promote APP --from ENV --to ENV [flags]
       tether promote history APP [--repo URL|DIR] [--branch B] [-o table|json]

Layouts (under --path, default APP):
  overlays/ENV/kustomization.yaml   the \`images:\` entries (newTag, newName, digest) of the --from overlay
                                    are written into the --to overlay's entries of the same name
  values-ENV.yaml                   each --key (default image.tag) of values-FROM is written into values-TO
Only the changed values' bytes differ; comments, quoting and order stay.

Flags:
  --repo URL|DIR        a clone URL (cloned, committed, pushed) or a local working tree (default ".",
                        committed; pushed with --push or --push-branch)
  --path DIR            the app's folder in the repository (default APP)
  --branch B            base branch (default main)
  --push-branch NAME    push the commit to a new branch NAME, for a pull request
  --push                push a local working tree's commit to its origin
  --key K               Helm values key to carry (repeatable; default image.tag)
  --author "N <E>"      commit author (default: $GIT_AUTHOR_NAME/$GIT_AUTHOR_EMAIL, else Tether)

The commit message names the app, the environments and each value, and ends with the trailers
\`Tether-Promotion: FROM->TO\` and \`Tether-App: APP\`. Exit 0 also when there was nothing to promote.
`;

function author(value: string | undefined): Author {
  if (value) {
    const match = /^(.+?)\s*<([^>]+)>$/.exec(value.trim());
    if (!match) throw new UsageError(`--author must look like "Name <email>", not "${value}"`);
    return { name: match[1] ?? "", email: match[2] ?? "" };
  }
  return {
    name: process.env["GIT_AUTHOR_NAME"] || "Tether",
    email: process.env["GIT_AUTHOR_EMAIL"] || "promote@tether.dev",
  };
}

function parse(args: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: true,
      options: {
        from: { type: "string" },
        to: { type: "string" },
        repo: { type: "string" },
        path: { type: "string" },
        branch: { type: "string" },
        "push-branch": { type: "string" },
        push: { type: "boolean" },
        key: { type: "string", multiple: true },
        author: { type: "string" },
        output: { type: "string", short: "o" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message.split("\n")[0] ?? String(error));
  }
}

export async function promoteCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args);
  if (values.help) {
    process.stdout.write(PROMOTE_USAGE);
    return 0;
  }
  const repo = values.repo ?? ".";
  if (positionals[0] === "history") {
    const app = positionals[1];
    if (!app || positionals.length !== 2) throw new UsageError("promote history needs APP");
    const records = await promotionHistory(repo, app, values.branch);
    if (values.output === "json") process.stdout.write(`${JSON.stringify(records, null, 2)}\n`);
    else {
      const rows = records.map((r) => [
        r.commit.slice(0, 12),
        r.date,
        `${r.from} -> ${r.to}`,
        r.author,
        r.subject,
      ]);
      const widths = [12, 25, 20, 16];
      const line = (cells: string[]) =>
        cells
          .map((c, i) => (i < widths.length ? c.padEnd(widths[i] ?? 0) : c))
          .join("  ")
          .trimEnd();
      process.stdout.write(
        [line(["COMMIT", "DATE", "PROMOTION", "AUTHOR", "MESSAGE"]), ...rows.map(line)].join("\n") + "\n",
      );
    }
    return 0;
  }
  const app = positionals[0];
  if (!app || positionals.length !== 1) throw new UsageError("promote needs APP (tether promote --help)");
  if (!values.from || !values.to) throw new UsageError("promote needs --from ENV and --to ENV");
  if (values.from === values.to) throw new UsageError("--from and --to name the same environment");
  const outcome = await promote({
    repo,
    app,
    from: values.from,
    to: values.to,
    author: author(values.author),
    ...(values.path ? { appPath: values.path } : {}),
    ...(values.branch ? { branch: values.branch } : {}),
    ...(values["push-branch"] ? { pushBranch: values["push-branch"] } : {}),
    ...(values.key ? { keys: values.key } : {}),
    ...(values.push ? { push: true } : {}),
  });
  for (const skipped of outcome.skipped) process.stderr.write(`skipped: ${skipped}\n`);
  if (!outcome.commit) {
    process.stdout.write(`${app}: ${values.to} already has ${values.from}'s values: nothing to promote\n`);
    return 0;
  }
  for (const c of outcome.changes) process.stdout.write(`${c.file}: ${c.key} ${c.from} -> ${c.to}\n`);
  process.stdout.write(
    `committed ${outcome.commit.slice(0, 12)}${outcome.pushedTo ? `, pushed to ${outcome.pushedTo}` : ""}\n`,
  );
  return 0;
}
