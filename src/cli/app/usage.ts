// The help text of `tether app` (printed by `tether app --help` and after a usage error).
export const EXIT_CODES = `Exit codes:
  0  success (app diff: no differences)
  1  failure: an error from Tether or the cluster (printed with the field at fault), an unknown
     application, a sync that failed or a Degraded app while waiting; app diff: differences found
  2  usage: unknown command or flag, missing or malformed argument
  3  app wait (or --wait): the timeout passed before the application got there
`;

export const APP_USAGE = `Usage: tether app <command> [flags]

Commands:
  list                      Applications (--project P, --sync S, --health H, --label K[=V] …, -o FORMAT)
  get APP                   One application: source, status, resources (-o FORMAT, --tree for live children)
  diff APP                  What differs between Git and the cluster, per resource (exit 1 when anything does)
  sync APP                  Sync now (--prune, --dry-run, --resource GROUP/KIND/NAMESPACE/NAME …, --wait)
  refresh APP               Look at Git now (--hard)
  history APP               Deployed revisions (-o FORMAT)
  rollback APP ID           Sync to history entry ID and stop following Git; ID "cancel" follows Git again
  wait APP                  Wait until --sync (Synced) and/or --health (Healthy); both when neither is given
                            (--timeout 5m); progress on one line
  create NAME               From flags and/or -f FILE (YAML or JSON Application; flags win):
                            --repo URL --path DIR --revision REV --dest-namespace NS --dest-server URL
                            --project P --label K=V … --auto-sync --prune --self-heal
  delete APP                Delete; --cascade=true (default) deletes its resources too, false keeps them (--wait)

APP is NAME or NAMESPACE/NAME; a bare NAME is looked up (or taken in --app-namespace).
FORMAT is table (default), wide, json or yaml.

Connection flags (every command):
  --server URL       API server (env TETHER_SERVER; default: the config file's, else http://127.0.0.1:8080)
  --token TOKEN      Bearer token (env TETHER_TOKEN; default: the one \`tether login\` stored)
  --core             No API server: talk to the cluster with the kubeconfig (env TETHER_CORE=1). Also used
                     when no server was named and none answers.
  --kubeconfig FILE  For --core (env KUBECONFIG; default ~/.kube/config)
  --app-namespace NS Namespace of the Applications (env TETHER_APP_NAMESPACE)

${EXIT_CODES}`;
