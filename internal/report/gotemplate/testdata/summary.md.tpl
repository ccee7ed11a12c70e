# {{.Target.Name}}

{{with .OS}}{{.PrettyName}}{{else}}Unknown OS{{end}}, {{len .Packages}} packages, scanned by {{.Tool}}{{with .Version}} {{.}}{{end}}.
{{- if .Vulnerabilities}}
{{$c := countBySeverity .Vulnerabilities}}
| Severity | Vulnerabilities |
| --- | --- |
{{- range severities}}
| {{.}} | {{index $c .}} |
{{- end}}

## HIGH and above
{{range .Vulnerabilities}}{{if atLeast "HIGH" .Severity}}
- **{{.ID}}** in `{{.PkgName}} {{.InstalledVersion}}`{{with .FixedVersion}}: upgrade to {{.}}{{end}}{{with .Aliases}} (also {{join . ", "}}){{end}}{{with .Suppressed}} _suppressed by {{.Kind}}: {{.Reason}}_{{end}}
{{- end}}{{end}}
{{- end}}
{{- with .Secrets}}

## Secrets
{{range .}}
- {{.Title}} in `{{.Path}}` line {{.StartLine}}
{{- end}}
{{- end}}
