package reporttest

import (
	"github.com/shipshape-dev/shipshape/internal/inventory"
)

// DebianChecks is DebianVulns with a fourth layer that copies an application in, scanned
// with every scanner: misconfigurations of the Dockerfile (failed, passed, one that could
// not be evaluated, and one an ignore file suppresses) and of the image config and a layer,
// secrets in the application layer (one suppressed), licence findings of packages and of a
// licence file, risk scores on the findings, a finding suppressed by a VEX statement and one
// by an ignore file, and a VEX statement that does not suppress (under_investigation). The checks and their wording are modelled on common Dockerfile and
// secret rules; the risk scores are illustrative.
func DebianChecks() *inventory.Inventory {
	inv := DebianVulns()
	app := inventory.Layer{Index: 3, DiffID: digest("debian app layer"), Digest: digest("debian app blob"),
		Size: 52000, CreatedBy: "COPY . /app # buildkit"}
	inv.Layers = append(inv.Layers, app)
	appRef := &inventory.LayerRef{Index: app.Index, DiffID: app.DiffID, CreatedBy: app.CreatedBy}
	baseRef := func() *inventory.LayerRef {
		l := inv.Layers[0]
		return &inventory.LayerRef{Index: l.Index, DiffID: l.DiffID, CreatedBy: l.CreatedBy}
	}
	layerCopy := func(l *inventory.LayerRef) *inventory.LayerRef { c := *l; return &c }

	risk := map[string]float64{
		"CVE-2023-4863": 91.4, "CVE-2023-45853": 38.2, "CVE-2023-5678": 12.6,
		"CVE-2024-0727": 9.8, "CVE-2010-4756": 4.1, "CVE-2024-2398": 2.5,
	}
	for i := range inv.Vulnerabilities {
		f := &inv.Vulnerabilities[i]
		f.Risk = risk[f.ID]
		switch f.ID {
		case "CVE-2023-45853":
			f.Suppressed = &inventory.Suppression{Kind: "vex", Source: "app.openvex.json",
				Statement: "not_affected", Reason: "vulnerable_code_not_in_execute_path"}
		case "CVE-2024-2398":
			f.VEX = &inventory.Suppression{Kind: "vex", Source: "app.openvex.json", Statement: "under_investigation"}
		case "CVE-2010-4756":
			f.Suppressed = &inventory.Suppression{Kind: "ignore", Source: ".shipshapeignore.yaml",
				Statement: "id: CVE-2010-4756", Reason: "glob() is never called with user input", Expires: "2027-06-30"}
		}
	}

	inv.Misconfigurations = []inventory.Misconfiguration{
		{Kind: inventory.CheckDockerfile, ID: "DS002", Title: "Image user should not be 'root'", Severity: "HIGH",
			Description: "Running containers as root gives a process that escapes the application full control of the container.",
			References:  []string{"CIS Docker Benchmark 4.1", "https://docs.docker.com/develop/develop-images/instructions/#user"},
			Resolution:  "Add a USER instruction naming a non-root user after the last RUN.",
			Status:      inventory.CheckFail, Message: "Last USER instruction sets user 'root'",
			Target: "Dockerfile", StartLine: 9, EndLine: 9, Code: "USER root"},
		{Kind: inventory.CheckDockerfile, ID: "DS005", Title: "ADD used instead of COPY", Severity: "LOW",
			Description: "ADD fetches URLs and unpacks archives; COPY only copies, which is what most builds mean.",
			Resolution:  "Use COPY, or RUN tar to unpack on purpose.",
			Status:      inventory.CheckFail, Message: "ADD app.tar.gz /app/ can be replaced by COPY",
			Target: "Dockerfile", StartLine: 4, EndLine: 4, Code: "ADD app.tar.gz /app/",
			Suppressed: &inventory.Suppression{Kind: "ignore", Source: ".shipshapeignore.yaml", Statement: "id: DS005",
				Reason: "the archive is unpacked on purpose", Expires: "2027-01-31"}},
		{Kind: inventory.CheckDockerfile, ID: "DS001", Title: "':latest' tag used", Severity: "MEDIUM",
			Status: inventory.CheckPass, Target: "Dockerfile", StartLine: 1, EndLine: 1, Code: "FROM debian:12"},
		{Kind: inventory.CheckDockerfile, ID: "DS026", Title: "No HEALTHCHECK defined", Severity: "LOW",
			Status: inventory.CheckError, Message: "could not read the build stage 'final': no FROM line", Target: "build/Dockerfile.old"},
		{Kind: inventory.CheckImageConfig, ID: "IC004", Title: "Secret-looking environment variable", Severity: "CRITICAL",
			Description: "Environment variables of an image are readable by anyone who can pull it.",
			Resolution:  "Pass secrets at run time (docker run --env-file, a secrets manager) instead of ENV.",
			Status:      inventory.CheckFail, Message: "ENV AWS_SECRET_ACCESS_KEY is set in the image config",
			Target: "docker.io/library/debian:12", Object: "config.Env"},
		{Kind: inventory.CheckImageConfig, ID: "IC010", Title: "setuid binary added", Severity: "MEDIUM",
			Description: "A setuid-root binary lets any user run it with root privileges.",
			Resolution:  "Remove the setuid bit (chmod u-s) unless the binary needs it.",
			Status:      inventory.CheckFail, Message: "/app/bin/helper is setuid root",
			Target: "docker.io/library/debian:12", Object: "/app/bin/helper", Layer: layerCopy(appRef)},
	}
	inv.Secrets = []inventory.Secret{
		{RuleID: "aws-access-key-id", Category: "AWS", Title: "AWS Access Key ID", Severity: "CRITICAL",
			Path: "/app/.env", StartLine: 3, Match: "AWS_ACCESS_KEY_ID=AKIA****************", Layer: layerCopy(appRef)},
		{RuleID: "private-key", Category: "AsymmetricPrivateKey", Title: "Asymmetric Private Key", Severity: "HIGH",
			Path: "/app/deploy/id_ed25519", StartLine: 1, EndLine: 7, Match: "-----BEGIN OPENSSH PRIVATE KEY-----****",
			Layer: layerCopy(appRef)},
		{RuleID: "github-pat", Category: "GitHub", Title: "GitHub Personal Access Token", Severity: "CRITICAL",
			Path: "/app/test/fixtures/config.yml", StartLine: 12, Match: "token: ghp_************************************",
			Layer:      layerCopy(appRef),
			Suppressed: &inventory.Suppression{Kind: "ignore", Source: ".shipshapeignore.yaml", Statement: "path: /app/test/**", Reason: "revoked test token"}},
	}
	libc := pkg(inv, "libc6", "")
	curl := pkg(inv, "curl", "")
	inv.Licenses = []inventory.LicenseFinding{
		{License: "LGPL-2.1", Category: inventory.LicenseRestricted, Severity: "HIGH", PkgPURL: libc.PURL, PkgName: libc.Name,
			Path: "/usr/share/doc/libc6/copyright", Layer: baseRef()},
		{License: "curl", Category: inventory.LicenseNotice, Severity: "LOW", PkgPURL: curl.PURL, PkgName: curl.Name,
			Path: "/usr/share/doc/curl/copyright", Layer: layerCopy(curl.Layer)},
		{License: "Custom licence text", Category: inventory.LicenseUnknown, Severity: "UNKNOWN",
			Path: "/app/LICENSE", Confidence: 0.42, Layer: layerCopy(appRef)},
	}
	return inv
}
