{{/* Labels as k8s/ sets them: part-of on everything, name on the component's objects. */}}
{{- define "fencewatch.partOf" -}}
app.kubernetes.io/part-of: fencewatch
{{- end -}}

{{- define "fencewatch.labels" -}}
app.kubernetes.io/name: {{ . }}
app.kubernetes.io/part-of: fencewatch
{{- end -}}

{{- define "fencewatch.image" -}}
image: {{ printf "%s:%s" .Values.image.repository .Values.image.tag | quote }}
{{- with .Values.image.pullPolicy }}
imagePullPolicy: {{ . }}
{{- end }}
{{- end -}}

{{/* The collector reads the cluster it runs in: then it needs the ClusterRole. */}}
{{- define "fencewatch.collectorInCluster" -}}
{{- if and .Values.collector.enabled (eq .Values.collector.mode "in-cluster") }}true{{ end -}}
{{- end -}}

{{- define "fencewatch.topicPrefixEnv" -}}
{{- with .Values.topicPrefix }}
- name: FENCEWATCH_TOPIC_PREFIX
  value: {{ . | quote }}
{{- end }}
{{- end -}}

{{- define "fencewatch.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
{{- if .fsGroup }}
fsGroup: 10001
{{- end }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "fencewatch.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
{{- end -}}
