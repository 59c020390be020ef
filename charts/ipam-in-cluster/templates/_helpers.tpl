{{/* Chart name (or nameOverride), truncated to the 63 characters Kubernetes names allow. */}}
{{- define "ipam.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Full name: fullnameOverride; else <release>-<name>, or the release name when it already contains the name. */}}
{{- define "ipam.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "ipam.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ipam.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "ipam.labels" -}}
{{ include "ipam.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: cluster-api
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
cluster.x-k8s.io/provider: ipam-in-cluster
{{- end -}}

{{- define "ipam.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "ipam.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "ipam.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "ipam.webhookServiceName" -}}
{{- printf "%s-webhook" (include "ipam.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "ipam.webhookSecretName" -}}
{{- default (printf "%s-webhook-cert" (include "ipam.fullname" .)) .Values.webhook.certificates.secretName -}}
{{- end -}}

{{- define "ipam.webhookConfigName" -}}
{{- include "ipam.fullname" . -}}
{{- end -}}

{{/* cert-manager injects the CA from this Certificate (namespace/name). */}}
{{- define "ipam.certManagerInject" -}}
{{- printf "%s/%s-serving-cert" .Release.Namespace (include "ipam.fullname" .) -}}
{{- end -}}

{{/* The host part of a bind address: the pod IP in brackets (IPv4 and IPv6 alike), or nothing (every interface). */}}
{{- define "ipam.listenHost" -}}
{{- if eq . "podIP" -}}[$(POD_IP)]{{- end -}}
{{- end -}}

{{/* The leader-election Lease (the controller's --leader-elect id, upstream's). */}}
{{- define "ipam.leaseName" -}}
7bb7acb4.ipam.cluster.x-k8s.io
{{- end -}}

{{/* Durations like 15s / 2m / 1h as Go durations the controller flags accept. */}}
{{- define "ipam.validateValues" -}}
{{- if and (gt (int .Values.replicaCount) 1) (not .Values.leaderElection.enabled) -}}
{{- fail "replicaCount > 1 needs leaderElection.enabled=true: two active controllers could hand out the same address" -}}
{{- end -}}
{{- if and (eq .Values.webhook.certificates.mode "secret") (not .Values.webhook.certificates.secretName) -}}
{{- fail "webhook.certificates.mode=secret needs webhook.certificates.secretName" -}}
{{- end -}}
{{- if and .Values.networkPolicy.enabled .Values.webhook.enabled (not .Values.networkPolicy.webhookFrom) -}}
{{- fail "networkPolicy.enabled needs networkPolicy.webhookFrom (the API server's addresses as NetworkPolicy peers), or the webhook port would admit nobody" -}}
{{- end -}}
{{- if and .Values.networkPolicy.enabled .Values.metrics.enabled (not .Values.networkPolicy.metricsFrom) -}}
{{- fail "networkPolicy.enabled needs networkPolicy.metricsFrom (the scraper as NetworkPolicy peers), or metrics.enabled=false" -}}
{{- end -}}
{{- end -}}
