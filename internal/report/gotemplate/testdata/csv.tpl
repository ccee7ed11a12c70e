{{- /* One CSV line per vulnerability finding that is not suppressed. */ -}}
target,package,installed,vulnerability,severity,fixed,layer
{{- range unsuppressed .Vulnerabilities}}
{{$.Target.Name}},{{.PkgName}},{{.InstalledVersion}},{{.ID}},{{.Severity}},{{.FixedVersion}},{{with .Layer}}{{.Index}}{{end}}
{{- end}}
