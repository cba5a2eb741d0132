{{/*
Labels of every object: the three deploy/ uses (kept in step with it by
test/integration/deploy-chart.test.ts) and Helm's own. Called with (dict "ctx" $ "component" "server").
*/}}
{{- define "tether.labels" -}}
app.kubernetes.io/name: tether
app.kubernetes.io/component: {{ .component }}
app.kubernetes.io/part-of: tether
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .ctx.Chart.Name .ctx.Chart.Version }}
{{- end }}

{{/*
Selector labels: fixed, as in deploy/. The chart installs once per cluster (its ClusterRoles and
ClusterRoleBindings have fixed names), so the release name is not needed to tell pods apart.
*/}}
{{- define "tether.selectorLabels" -}}
app.kubernetes.io/name: tether
app.kubernetes.io/component: {{ . }}
{{- end }}

{{/* Pod template labels. */}}
{{- define "tether.podLabels" -}}
app.kubernetes.io/name: tether
app.kubernetes.io/component: {{ . }}
app.kubernetes.io/part-of: tether
{{- end }}

{{- define "tether.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/* nodeSelector, tolerations, affinity and image pull secrets of a pod (values of one component). */}}
{{- define "tether.scheduling" -}}
{{- with .ctx.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* The Service port the Ingress forwards to: https when the server speaks TLS itself. */}}
{{- define "tether.servicePortName" -}}
{{- if .Values.server.tls.enabled }}https{{ else }}http{{ end }}
{{- end }}

{{/* Where the OIDC callback lands: the value, else the Ingress host. */}}
{{- define "tether.oidcRedirectURL" -}}
{{- if .Values.oidc.redirectURL -}}
{{ .Values.oidc.redirectURL }}
{{- else if .Values.ingress.enabled -}}
https://{{ .Values.ingress.host }}/api/v1/auth/oidc/callback
{{- else -}}
{{ fail "oidc.redirectURL: is required when ingress.enabled is false (the URL users reach the server at, ending in /api/v1/auth/oidc/callback)" }}
{{- end }}
{{- end }}
