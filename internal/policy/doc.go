// Package policy decides which findings count: it reads ignore files (shipshape YAML and
// trivy-style plain id lists) and VEX documents (OpenVEX, CycloneDX VEX, CSAF VEX), marks the
// findings they cover as suppressed (never deleting them), computes each vulnerability's risk
// score from CVSS, EPSS and KEV, orders findings for --sort-by, applies the exit-code gate,
// writes the user's ignore decisions back out as OpenVEX, compares two scans and plans the
// smallest upgrades that fix the most findings.
//
// Everything here is a pure function of its inputs plus an injected clock, so that the same
// scan and the same policy files always give the same decisions.
package policy
