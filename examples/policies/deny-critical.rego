# Deny images with a CRITICAL vulnerability that has a fix and is not suppressed by an
# ignore file or VEX statement.
#
#   shipshape image app.tar --policy examples/policies/deny-critical.rego --exit-code 1
package shipshape.deny_critical

deny contains msg if {
	some v in input.vulnerabilities
	v.severity == "CRITICAL"
	not v.suppressed
	v.fixedVersion != ""
	msg := sprintf("%s %s has %s (CRITICAL), fixed in %s", [v.pkgName, v.installedVersion, v.id, v.fixedVersion])
}

warn contains msg if {
	some v in input.vulnerabilities
	v.severity == "CRITICAL"
	not v.suppressed
	not v.fixedVersion
	msg := sprintf("%s %s has %s (CRITICAL) with no fix yet", [v.pkgName, v.installedVersion, v.id])
}
