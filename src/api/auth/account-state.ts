// The local accounts as this replica currently knows them, fed by watches of ConfigMap
// tether-accounts (who exists, enabled, capabilities), Secret tether-accounts and Secret
// tether-admin (password change times). Every request asks it, so it answers from memory.
//
// Password changes cut sessions off: sessions of an account issued before its last change are
// invalid. Session times are whole seconds, so the cut-off is the start of the second after the
// change: every session issued up to the change is refused, and sessions issued after it are dated
// no earlier than the cut-off (at most 1 s ahead, well inside the verifier's clock-skew allowance).
import { LOCAL_ADMIN_USER } from "./admin.js";
import { hasPassword } from "./account-passwords.js";
import type { AccountsConfig, Capability } from "./accounts.js";
import { accountAllows, parseAccountsConfigMap, passwordMtimeKey, passwordMtimeOf } from "./accounts.js";

type Data = Readonly<Record<string, string>> | undefined;

/** The start of the second after `ms`: see the header. */
export const cutoffAfter = (ms: number) => (Math.floor(ms / 1000) + 1) * 1000;

export class AccountState {
  private config: AccountsConfig = parseAccountsConfigMap(undefined);
  private adminData: Data;
  private accountsData: Data;
  /** Changes this replica made, until (and after) the watch brings them: never older than these. */
  private readonly ownChanges = new Map<string, number>();
  private lastIssues = "";

  constructor(
    private readonly log: (line: string) => void,
    private readonly changed: () => void,
  ) {}

  configMapChanged(data: Data): void {
    this.config = parseAccountsConfigMap(data);
    const text = this.config.issues.join("; ");
    if (text && text !== this.lastIssues) this.log(`api: ${text}`);
    this.lastIssues = text;
    this.changed();
  }

  adminSecretChanged(data: Data): void {
    this.adminData = data;
    this.changed();
  }

  accountsSecretChanged(data: Data): void {
    this.accountsData = data;
    this.changed();
  }

  accounts(): AccountsConfig {
    return this.config;
  }

  allows(user: string, capability: Capability) {
    return accountAllows(this.config, user, capability);
  }

  hasPassword(name: string): boolean {
    return hasPassword(this.adminData, this.accountsData, name);
  }

  /** Sessions of local account `user` issued before this instant (ms) are invalid. */
  passwordCutoff(user: string): number | undefined {
    const seen =
      user === LOCAL_ADMIN_USER
        ? passwordMtimeOf(this.adminData, "passwordMtime")
        : passwordMtimeOf(this.accountsData, passwordMtimeKey(user));
    const own = this.ownChanges.get(user);
    const latest = seen === undefined ? own : own === undefined ? seen : Math.max(seen, own);
    return latest === undefined ? undefined : cutoffAfter(latest);
  }

  /** This replica changed `user`'s password at `mtimeMs`: older sessions stop here at once. */
  passwordChanged(user: string, mtimeMs: number): void {
    // Sessions issued since the last change may be dated up to its cut-off: a change within that
    // same second must cut after them too, so never before the old cut-off.
    const previous = this.passwordCutoff(user);
    this.ownChanges.set(user, Math.max(mtimeMs, previous ?? mtimeMs));
    this.changed();
  }
}
