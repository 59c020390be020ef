{{/* Name of the container port (and Service port) serving /metrics: https when secure, else http. */}}
{{- define "ipam.metricsPortName" -}}
{{- if .Values.metrics.secure -}}https{{- else -}}http{{- end -}}
{{- end -}}
