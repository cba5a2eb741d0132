// Create or edit an Application. The API validates (validateApplication, the CRD schema, the
// apiserver); its messages name the field at fault, and the form shows each next to that field.
import type { FormEvent, ReactNode } from "react";
import { useEffect, useId, useRef, useState } from "react";
import type { ApplicationDetail, ApplicationWrite } from "../../api/types";
import { api, ApiError } from "../api";
import { ErrorText } from "../components/dialog";
import { Link } from "../components/link";
import type { Values } from "../form-fields";
import { FIELD, inputForField } from "../form-fields";
import { appUrl, navigate } from "../router";

const EMPTY: Values = {
  name: "",
  namespace: "",
  project: "",
  labels: "",
  repoURL: "",
  targetRevision: "HEAD",
  path: "",
  server: "https://kubernetes.default.svc",
  destNamespace: "",
  automated: false,
  prune: false,
  selfHeal: false,
  createNamespace: false,
};

function valuesOf(app: ApplicationDetail): Values {
  const spec = app.spec as {
    source?: { repoURL?: string; targetRevision?: string; path?: string };
    destination?: { server?: string; name?: string; namespace?: string };
    syncPolicy?: { automated?: { prune?: boolean; selfHeal?: boolean }; syncOptions?: string[] };
  };
  return {
    name: app.name,
    namespace: app.namespace,
    project: app.project,
    labels: Object.entries(app.labels ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(", "),
    repoURL: spec.source?.repoURL ?? "",
    targetRevision: spec.source?.targetRevision ?? "",
    path: spec.source?.path ?? "",
    server: spec.destination?.server ?? "",
    destNamespace: spec.destination?.namespace ?? "",
    automated: spec.syncPolicy?.automated !== undefined,
    prune: spec.syncPolicy?.automated?.prune ?? false,
    selfHeal: spec.syncPolicy?.automated?.selfHeal ?? false,
    createNamespace: spec.syncPolicy?.syncOptions?.includes("CreateNamespace=true") ?? false,
  };
}

function labelsOf(text: string): Record<string, string> | undefined {
  const pairs = text
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
  if (pairs.length === 0) return undefined;
  return Object.fromEntries(
    pairs.map((p) => {
      const eq = p.indexOf("=");
      return eq < 0 ? [p, ""] : [p.slice(0, eq).trim(), p.slice(eq + 1).trim()];
    }),
  );
}

function bodyOf(v: Values, existing?: ApplicationDetail): ApplicationWrite {
  const old = (existing?.spec ?? {}) as Record<string, unknown> & {
    source?: Record<string, unknown>;
    destination?: Record<string, unknown>;
    syncPolicy?: Record<string, unknown>;
  };
  const opt = (s: string) => (s.trim() === "" ? undefined : s.trim());
  const oldOptions = ((old.syncPolicy?.["syncOptions"] as string[] | undefined) ?? []).filter(
    (o) => o !== "CreateNamespace=true",
  );
  const syncOptions = v.createNamespace ? [...oldOptions, "CreateNamespace=true"] : oldOptions;
  const syncPolicy = {
    ...(old.syncPolicy ?? {}),
    ...(v.automated ? { automated: { prune: v.prune, selfHeal: v.selfHeal } } : {}),
    syncOptions,
  };
  if (!v.automated) delete (syncPolicy as Record<string, unknown>)["automated"];
  const labels = labelsOf(v.labels);
  return {
    metadata: {
      name: v.name.trim(),
      ...(opt(v.namespace) ? { namespace: v.namespace.trim() } : {}),
      ...(labels ? { labels } : {}),
      ...(existing?.annotations ? { annotations: existing.annotations } : {}),
      ...(existing?.resourceVersion ? { resourceVersion: existing.resourceVersion } : {}),
    },
    spec: {
      ...old,
      ...(opt(v.project) ? { project: v.project.trim() } : {}),
      source: {
        ...(old.source ?? {}),
        repoURL: v.repoURL.trim(),
        ...(opt(v.targetRevision) ? { targetRevision: v.targetRevision.trim() } : {}),
        ...(opt(v.path) ? { path: v.path.trim() } : {}),
      },
      destination: {
        ...(old.destination ?? {}),
        ...(opt(v.server) ? { server: v.server.trim() } : {}),
        ...(opt(v.destNamespace) ? { namespace: v.destNamespace.trim() } : {}),
      },
      syncPolicy,
    },
  };
}

const sameSpec = (a: ApplicationDetail, b: ApplicationDetail) =>
  JSON.stringify([a.spec, a.labels ?? {}]) === JSON.stringify([b.spec, b.labels ?? {}]);

/**
 * PUT with the resourceVersion the form was loaded at. The controller writes status all the time,
 * which moves resourceVersion too: on a conflict, if the spec and labels are still what the form
 * started from, retry once at the fresh version; if someone else changed them, say so.
 */
async function update(values: Values, existing: ApplicationDetail): Promise<ApplicationDetail> {
  const put = (base: ApplicationDetail) => {
    const body = bodyOf(values, base);
    return api.update({ ...body, metadata: { ...body.metadata, namespace: base.namespace } });
  };
  try {
    return await put(existing);
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 409)) throw error;
    const fresh = await api.get(existing.namespace, existing.name);
    if (!sameSpec(fresh, existing)) {
      throw new ApiError(
        409,
        "Someone else changed this application since the form was opened: reload the page to see their change.",
        "conflict",
      );
    }
    return put(fresh);
  }
}

function Field(props: {
  id: keyof Values;
  label: string;
  hint?: string;
  error?: string;
  children: (attrs: Record<string, unknown>) => ReactNode;
}) {
  const base = useId();
  const errorId = `${base}-error`;
  const hintId = `${base}-hint`;
  const describedBy = [props.hint ? hintId : "", props.error ? errorId : ""].filter(Boolean).join(" ");
  return (
    <div className={`field${props.error ? " invalid" : ""}`} data-field={FIELD[props.id]}>
      <label htmlFor={base}>{props.label}</label>
      {props.children({
        id: base,
        name: FIELD[props.id],
        "aria-invalid": props.error ? true : undefined,
        "aria-describedby": describedBy || undefined,
      })}
      {props.hint ? (
        <div id={hintId} className="muted small">
          {props.hint}
        </div>
      ) : null}
      {props.error ? (
        <div id={errorId} className="field-error" role="alert">
          {props.error}
        </div>
      ) : null}
    </div>
  );
}

export function FormPage(props: { edit?: { namespace: string; name: string }; notify: (m: string) => void }) {
  const [existing, setExisting] = useState<ApplicationDetail>();
  const [values, setValues] = useState<Values>(EMPTY);
  const [errors, setErrors] = useState<Partial<Record<keyof Values, string>>>({});
  const [formError, setFormError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const edit = props.edit;

  useEffect(() => {
    if (!edit) return;
    api.get(edit.namespace, edit.name).then(
      (app) => {
        setExisting(app);
        setValues(valuesOf(app));
      },
      (err: unknown) => setFormError(err),
    );
  }, [edit?.namespace, edit?.name]);

  const set = <K extends keyof Values>(key: K, value: Values[K]) =>
    setValues((v) => ({ ...v, [key]: value }));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    setFormError(undefined);
    try {
      const saved = edit && existing ? await update(values, existing) : await api.create(bodyOf(values));
      props.notify(edit ? `Saved ${saved.name}` : `Created ${saved.name}`);
      navigate(appUrl(saved.namespace, saved.name));
    } catch (err) {
      const input = err instanceof ApiError ? inputForField(err.field) : undefined;
      if (input && err instanceof ApiError) {
        setErrors({ [input]: `${err.field}: ${err.message}` });
        // Focus the field at fault so keyboard and screen-reader users land on it.
        formRef.current?.querySelector<HTMLElement>(`[data-field="${FIELD[input]}"] input`)?.focus();
      } else setFormError(err);
    } finally {
      setBusy(false);
    }
  };

  const text = (id: keyof Values, label: string, hint?: string, disabled = false) => (
    <Field id={id} label={label} {...(hint ? { hint } : {})} {...(errors[id] ? { error: errors[id] } : {})}>
      {(attrs) => (
        <input
          {...attrs}
          type="text"
          disabled={disabled}
          value={values[id] as string}
          onChange={(e) => set(id, e.target.value)}
        />
      )}
    </Field>
  );
  const check = (id: keyof Values, label: string, disabled = false) => (
    <Field id={id} label={label} {...(errors[id] ? { error: errors[id] } : {})}>
      {(attrs) => (
        <input
          {...attrs}
          type="checkbox"
          disabled={disabled}
          checked={values[id] as boolean}
          onChange={(e) => set(id, e.target.checked)}
        />
      )}
    </Field>
  );

  if (edit && !existing) {
    // Not before the app is loaded: typing into defaults that the load then overwrites loses input.
    return (
      <main id="main" className="page">
        <h1>Edit {edit.name}</h1>
        {formError ? <ErrorText error={formError} /> : <p>Loading…</p>}
      </main>
    );
  }

  return (
    <main id="main" className="page">
      <nav aria-label="Breadcrumb" className="crumbs">
        <Link to="/applications">Applications</Link>
        {edit ? (
          <>
            {" "}
            / <Link to={appUrl(edit.namespace, edit.name)}>{edit.name}</Link>
          </>
        ) : null}
      </nav>
      <h1>{edit ? `Edit ${edit.name}` : "New application"}</h1>
      <form
        ref={formRef}
        onSubmit={(e) => void submit(e)}
        className="app-form"
        noValidate
        aria-label={edit ? "Edit application" : "New application"}
      >
        <fieldset>
          <legend>Application</legend>
          {text("name", "Name", "lowercase letters, digits and '-'", Boolean(edit))}
          {text(
            "namespace",
            "Namespace",
            "where the Application object lives (default: the server's)",
            Boolean(edit),
          )}
          {text("project", "Project", "default when empty")}
          {text("labels", "Labels", "key=value, comma-separated")}
        </fieldset>
        <fieldset>
          <legend>Source</legend>
          {text("repoURL", "Repository URL")}
          {text("targetRevision", "Target revision", "branch, tag, commit SHA, HEAD or a semver range")}
          {text("path", "Path", "folder in the repository")}
        </fieldset>
        <fieldset>
          <legend>Destination</legend>
          {text("server", "Cluster API server")}
          {text("destNamespace", "Namespace")}
        </fieldset>
        <fieldset>
          <legend>Sync policy</legend>
          {check("automated", "Sync automatically")}
          {check("prune", "Prune resources no longer in Git", !values.automated)}
          {check("selfHeal", "Self-heal drift", !values.automated)}
          {check("createNamespace", "Create the destination namespace")}
        </fieldset>
        <ErrorText error={formError} />
        <div className="actions">
          <button type="submit" className="primary" disabled={busy}>
            {edit ? "Save" : "Create"}
          </button>
          <Link to={edit ? appUrl(edit.namespace, edit.name) : "/applications"} className="button">
            Cancel
          </Link>
        </div>
      </form>
    </main>
  );
}
