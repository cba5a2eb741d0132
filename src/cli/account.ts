// `tether account`: local accounts through the API server (never the kubeconfig: passwords are
// hashed and checked by the server, and who may set whose password is its RBAC decision).
//   update-password   your own password (PUT /api/v1/account/password; the new session the server
//                     returns replaces the saved one), or with --account another's, as an admin
//                     (PUT /api/v1/accounts/{name}/password, confirmed with YOUR current password)
//   list              name, enabled, capabilities, password set (GET /api/v1/accounts)
import type { AccountList, AccountPasswordSet, LoginResponse } from "../api/types.js";
import { parseOutput, parse, positionals } from "./app/args.js";
import { table } from "./app/format.js";
import { BackendError, UnreachableError } from "./client/backend.js";
import type { CliConfig } from "./client/config.js";
import { configPath, readConfig, writeConfig } from "./client/config.js";
import { DEFAULT_SERVER } from "./client/connect.js";
import { HttpBackend } from "./client/http.js";
import { UsageError } from "./errors.js";
import { promptPassword } from "./login.js";

export const ACCOUNT_USAGE = `Usage: tether account <command> [flags]

Commands:
  update-password   Change your password, or (admin role) another account's with --account.
                    --account NAME            default: the logged-in user
                    --current-password P      YOUR current password (also when setting another's)
                    --new-password P          the new password (12+ characters)
                    Asked for on the terminal when omitted; without a terminal they are required.
  list              Local accounts: name, enabled, capabilities, whether a password is set.
                    --output table|json|yaml

Flags: --server URL (default: TETHER_SERVER, the saved login's server, else ${DEFAULT_SERVER}),
--token T (default: TETHER_TOKEN, else the saved login for that server).
`;

interface Target {
  server: string;
  token: string | undefined;
  config: CliConfig;
  file: string;
}

async function target(values: { server?: string | undefined; token?: string | undefined }): Promise<Target> {
  const file = configPath();
  const config = await readConfig(file);
  const server = (
    values.server ??
    (process.env["TETHER_SERVER"] || undefined) ??
    config.server ??
    DEFAULT_SERVER
  ).replace(/\/+$/, "");
  const saved = config.server?.replace(/\/+$/, "") === server ? config.token : undefined;
  const token = values.token ?? (process.env["TETHER_TOKEN"] || undefined) ?? saved;
  return { server, token, config, file };
}

/** A flag's value, else asked on the terminal; without a terminal the flag is required. */
async function secret(value: string | undefined, flag: string, prompt: string): Promise<string> {
  if (value !== undefined) return value;
  if (!process.stdin.isTTY) throw new UsageError(`stdin is not a terminal: pass ${flag}`);
  return promptPassword(prompt);
}

async function updatePassword(args: string[]): Promise<number> {
  const { values, positionals: rest } = parse(args, {
    account: { type: "string" },
    "current-password": { type: "string" },
    "new-password": { type: "string" },
  });
  positionals(rest, []);
  const where = await target(values);
  const http = new HttpBackend({ server: where.server, ...(where.token ? { token: where.token } : {}) });
  const me = (await http.request<{ user: string }>("GET", "/api/v1/session")).user;
  const account = values.account ?? me;
  const currentPassword = await secret(
    values["current-password"],
    "--current-password",
    `Current password of ${me}: `,
  );
  let newPassword = values["new-password"];
  if (newPassword === undefined) {
    newPassword = await secret(undefined, "--new-password", `New password for ${account}: `);
    if ((await promptPassword(`New password for ${account} again: `)) !== newPassword) {
      throw new UsageError("the two new passwords differ");
    }
  }
  const body = { currentPassword, newPassword };
  if (account === me) {
    const session = await http.request<LoginResponse>("PUT", "/api/v1/account/password", body);
    // The old session ended with the change: keep the new one where `tether login` keeps it.
    if (where.config.token === where.token && where.config.server?.replace(/\/+$/, "") === where.server) {
      await writeConfig(where.file, {
        ...where.config,
        token: session.token,
        user: session.user,
        expiresAt: session.expiresAt,
      });
    }
    process.stdout.write(`password of ${account} changed; its other sessions have ended\n`);
  } else {
    const set = await http.request<AccountPasswordSet>(
      "PUT",
      `/api/v1/accounts/${encodeURIComponent(account)}/password`,
      body,
    );
    process.stdout.write(
      `password of ${set.name} set at ${set.passwordMtime}; its earlier sessions have ended\n`,
    );
  }
  return 0;
}

async function list(args: string[]): Promise<number> {
  const { values, positionals: rest } = parse(args, { output: { type: "string", short: "o" } });
  positionals(rest, []);
  const output = parseOutput(values.output);
  const where = await target(values);
  const http = new HttpBackend({ server: where.server, ...(where.token ? { token: where.token } : {}) });
  const accounts = await http.request<AccountList>("GET", "/api/v1/accounts");
  if (output === "json") process.stdout.write(`${JSON.stringify(accounts, null, 2)}\n`);
  else if (output === "yaml") process.stdout.write((await import("yaml")).stringify(accounts));
  else {
    const rows = accounts.items.map((a) => [
      a.name,
      String(a.enabled),
      a.capabilities.join(", "),
      a.passwordSet ? "yes" : "no",
      a.problem ?? "",
    ]);
    process.stdout.write(table(["NAME", "ENABLED", "CAPABILITIES", "PASSWORD", "PROBLEM"], rows));
  }
  return 0;
}

export async function accountCommand(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(ACCOUNT_USAGE);
    return command === undefined ? 2 : 0;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(ACCOUNT_USAGE);
    return 0;
  }
  try {
    if (command === "update-password") return await updatePassword(rest);
    if (command === "list") return await list(rest);
  } catch (error) {
    if (error instanceof BackendError || error instanceof UnreachableError) {
      process.stderr.write(`tether: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  throw new UsageError(`unknown account command "${command}" (update-password, list)`);
}
