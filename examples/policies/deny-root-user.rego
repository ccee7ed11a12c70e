# Deny images that run as root: no USER, or USER root / 0 (CIS Docker Benchmark 4.1).
package shipshape.deny_root_user

root_users := {"", "root", "0", "0:0", "root:root"}

deny contains msg if {
	input.target.kind == "image"
	user := object.get(object.get(input.target, "config", {}), "user", "")
	root_users[user]
	msg := sprintf("%s runs as root (USER %q); add a USER instruction with an unprivileged user", [input.target.name, user])
}
