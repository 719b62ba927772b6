{{/* The name every object of the operator carries; the cluster-scoped RBAC adds -watch and -manage. */}}
{{- define "keelson.fullname" -}}
{{- default "keelson-operator" .Values.fullnameOverride | trunc 52 | trimSuffix "-" -}}
{{- end -}}

{{- define "keelson.selectorLabels" -}}
app.kubernetes.io/name: keelson
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "keelson.labels" -}}
{{ include "keelson.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "keelson.image" -}}
{{ .Values.image.repository }}:{{ default .Chart.AppVersion .Values.image.tag }}
{{- end -}}

{{/* The operator's own ServiceAccount, as an RBAC subject. */}}
{{- define "keelson.subject" -}}
- kind: ServiceAccount
  name: {{ include "keelson.fullname" . }}
  namespace: {{ .Release.Namespace }}
{{- end -}}
