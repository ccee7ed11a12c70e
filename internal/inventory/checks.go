package inventory

import (
	"cmp"
	"slices"
	"strings"
)

// Check kinds say which scanner produced a Misconfiguration.
const (
	CheckDockerfile  = "dockerfile"
	CheckCompose     = "compose"
	CheckKubernetes  = "kubernetes"
	CheckImageConfig = "image-config"
	CheckContainer   = "container"
	CheckHost        = "host"
	CheckRego        = "rego"
)

// Check results. A check that could not be evaluated says why in Message.
const (
	CheckFail  = "fail"
	CheckPass  = "pass"
	CheckError = "error"
)

// Misconfiguration is the result of one check on one input: a Dockerfile, a compose file,
// a manifest, an image config, a running container or the Docker host.
type Misconfiguration struct {
	// Kind is one of the Check* kinds.
	Kind string `json:"kind"`
	// ID is the stable check id (e.g. DS002), Title a one-line summary.
	ID    string `json:"id"`
	Title string `json:"title"`
	// Severity is CRITICAL, HIGH, MEDIUM, LOW or UNKNOWN (as for vulnerabilities).
	Severity    string `json:"severity"`
	Description string `json:"description,omitempty"`
	// References name the benchmark item (e.g. "CIS Docker Benchmark 4.1") and URLs.
	References []string `json:"references,omitempty"`
	// Resolution says how to fix it.
	Resolution string `json:"resolution,omitempty"`
	// Status is fail, pass or error; reports list failures unless asked for more.
	Status string `json:"status"`
	// Message says what exactly was found (or why the check could not be evaluated).
	Message string `json:"message,omitempty"`
	// Target is the file, image, container or host checked; Object the resource inside it
	// (a compose service, a Kubernetes object "Deployment/web", a container name).
	Target string `json:"target"`
	Object string `json:"object,omitempty"`
	// StartLine and EndLine locate the offending lines in Target (1-based, 0 when unknown);
	// Code is the offending text.
	StartLine int    `json:"startLine,omitempty"`
	EndLine   int    `json:"endLine,omitempty"`
	Code      string `json:"code,omitempty"`
	// Layer is the image layer the finding comes from, when it comes from one.
	Layer *LayerRef `json:"layer,omitempty"`
	// Suppressed is set when policy (ignore file, Rego) keeps the finding out of the gate.
	Suppressed *Suppression `json:"suppressed,omitempty"`
}

// Secret is one secret found in a file. Match never holds the secret in the clear.
type Secret struct {
	RuleID   string `json:"ruleID"`
	Category string `json:"category"`
	Title    string `json:"title"`
	Severity string `json:"severity"`
	// Path is the file holding the secret; Layer the image layer holding that file (a
	// secret deleted by a later layer is still reported, with the layer that holds it).
	Path      string    `json:"path"`
	StartLine int       `json:"startLine"`
	EndLine   int       `json:"endLine,omitempty"`
	Match     string    `json:"match"`
	Layer     *LayerRef `json:"layer,omitempty"`
	// Suppressed is set when policy keeps the finding out of the gate.
	Suppressed *Suppression `json:"suppressed,omitempty"`
}

// License categories, from most to least restrictive.
const (
	LicenseForbidden    = "forbidden"
	LicenseRestricted   = "restricted"
	LicenseReciprocal   = "reciprocal"
	LicenseNotice       = "notice"
	LicensePermissive   = "permissive"
	LicenseUnencumbered = "unencumbered"
	LicenseUnknown      = "unknown"
)

// LicenseFinding is one licence of one package or one licence file.
type LicenseFinding struct {
	// License is an SPDX id or expression, or the text found when it maps to none.
	License  string `json:"license"`
	Category string `json:"category"`
	Severity string `json:"severity"`
	// PkgPURL and PkgName name the package, empty for a licence file found on its own.
	PkgPURL string `json:"pkgPURL,omitempty"`
	PkgName string `json:"pkgName,omitempty"`
	// Path is the file the licence was read from; Confidence (0-1) is set for classified
	// licence texts.
	Path       string       `json:"path,omitempty"`
	Confidence float64      `json:"confidence,omitempty"`
	Layer      *LayerRef    `json:"layer,omitempty"`
	Suppressed *Suppression `json:"suppressed,omitempty"`
}

// Suppression says why a finding does not count toward the gate. Suppressed findings stay
// in the JSON report.
type Suppression struct {
	// Kind is ignore (an ignore file entry), vex (a VEX statement) or policy (Rego).
	Kind string `json:"kind"`
	// Source is the file the decision came from; Statement the VEX status or ignore rule.
	Source    string `json:"source,omitempty"`
	Statement string `json:"statement,omitempty"`
	Reason    string `json:"reason,omitempty"`
	// Expires is the RFC 3339 date after which an ignore entry stops suppressing.
	Expires string `json:"expires,omitempty"`
}

// SortChecks puts misconfigurations, secrets and licence findings in a stable order.
func (inv *Inventory) SortChecks() {
	layerIdx := func(l *LayerRef) int {
		if l == nil {
			return -1
		}
		return l.Index
	}
	slices.SortStableFunc(inv.Misconfigurations, func(a, b Misconfiguration) int {
		return cmp.Or(strings.Compare(a.Kind, b.Kind), strings.Compare(a.Target, b.Target),
			strings.Compare(a.Object, b.Object), cmp.Compare(a.StartLine, b.StartLine),
			strings.Compare(a.ID, b.ID), cmp.Compare(layerIdx(a.Layer), layerIdx(b.Layer)),
			strings.Compare(a.Message, b.Message))
	})
	slices.SortStableFunc(inv.Secrets, func(a, b Secret) int {
		return cmp.Or(strings.Compare(a.Path, b.Path), cmp.Compare(layerIdx(a.Layer), layerIdx(b.Layer)),
			cmp.Compare(a.StartLine, b.StartLine), strings.Compare(a.RuleID, b.RuleID),
			strings.Compare(a.Match, b.Match))
	})
	slices.SortStableFunc(inv.Licenses, func(a, b LicenseFinding) int {
		return cmp.Or(strings.Compare(a.PkgPURL, b.PkgPURL), strings.Compare(a.Path, b.Path),
			strings.Compare(a.License, b.License), cmp.Compare(layerIdx(a.Layer), layerIdx(b.Layer)))
	})
}

// PolicyResult is one message of a user's Rego policy (--policy) about the whole result.
// A deny fails the gate; a warn is only reported.
type PolicyResult struct {
	// Policy is the .rego file, Rule deny or warn.
	Policy  string `json:"policy"`
	Rule    string `json:"rule"`
	Message string `json:"message"`
}
