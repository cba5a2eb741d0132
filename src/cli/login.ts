// `tether login`: POST /api/v1/session with a username and password, then keep the server and the
// session token in the config file (0600). Later commands send the token as a bearer credential.
import type { CliConfig } from "./client/config.js";
import { configPath, readConfig, writeConfig } from "./client/config.js";
import { DEFAULT_SERVER } from "./client/connect.js";
import { parse, positionals } from "./app/args.js";
import { UsageError } from "./errors.js";

export const LOGIN_USAGE = `Usage: tether login [--server URL] [--username USER] [--password-stdin]

Logs in to a Tether API server and stores the server and session token in $TETHER_CONFIG
(default ~/.config/tether/config.json, mode 0600). The password is read from stdin with
--password-stdin (e.g. \`echo "$PW" | tether login --password-stdin\`), else asked for on the terminal.
  --server URL      default: TETHER_SERVER, the config file's server, else ${DEFAULT_SERVER}
  --username USER   default: admin
`;

interface SessionReply {
  user: string;
  token: string;
  csrfToken: string;
  expiresAt: string;
}

async function readAll(stream: NodeJS.ReadStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** Asks on the terminal without echoing what is typed. */
export function promptPassword(prompt: string): Promise<string> {
  const input = process.stdin;
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let typed = "";
    input.setRawMode(true);
    input.resume();
    input.setEncoding("utf8");
    const done = (error?: Error) => {
      input.setRawMode(false);
      input.pause();
      input.off("data", onData);
      process.stderr.write("\n");
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === "\r" || ch === "\n") return done();
        if (ch === "\u0003") return done(new Error("login cancelled"));
        if (ch === "\u007f" || ch === "\b") typed = typed.slice(0, -1);
        else typed += ch;
      }
    };
    input.on("data", onData);
  });
}

export async function loginCommand(args: string[]): Promise<number> {
  const { values, positionals: rest } = parse(args, {
    username: { type: "string", short: "u" },
    "password-stdin": { type: "boolean" },
  });
  if (values.help) {
    process.stdout.write(LOGIN_USAGE);
    return 0;
  }
  positionals(rest, []);
  const file = configPath();
  const config = await readConfig(file);
  const server = (
    values.server ??
    (process.env["TETHER_SERVER"] || undefined) ??
    config.server ??
    DEFAULT_SERVER
  ).replace(/\/+$/, "");
  const username = values.username ?? "admin";
  let password: string;
  if (values["password-stdin"]) password = (await readAll(process.stdin)).replace(/\r?\n$/, "");
  else if (process.stdin.isTTY) password = await promptPassword(`Password for ${username} at ${server}: `);
  else throw new UsageError("stdin is not a terminal: pass the password with --password-stdin");

  let response: Response;
  try {
    response = await fetch(`${server}/api/v1/session`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ username, password }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    process.stderr.write(
      `tether: cannot reach the API server ${server}: ${cause?.code ?? (error as Error).message}\n`,
    );
    return 1;
  }
  const body = (await response.json().catch(() => undefined)) as
    SessionReply | { error?: { message?: string } } | undefined;
  if (!response.ok || !body || !("token" in body)) {
    const message = body && "error" in body ? body.error?.message : undefined;
    process.stderr.write(`tether: login to ${server} failed: ${message ?? `HTTP ${response.status}`}\n`);
    return 1;
  }
  const next: CliConfig = { server, token: body.token, user: body.user, expiresAt: body.expiresAt };
  await writeConfig(file, next);
  process.stdout.write(
    `logged in to ${server} as ${body.user} (session until ${body.expiresAt}); saved in ${file}\n`,
  );
  return 0;
}
