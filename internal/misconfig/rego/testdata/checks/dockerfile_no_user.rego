# Reproduces the built-in SS-DF-001 on the Dockerfile input.
package custom.dockerfile.no_user

import rego.v1

metadata := {
	"id": "CUSTOM-DF-001",
	"title": "Image runs as root: no USER instruction",
	"severity": "HIGH",
	"kind": "dockerfile",
	"resolution": "Add USER <unprivileged user> to the final stage.",
	"references": ["CIS Docker Benchmark v1.6.0 4.1"],
}

final := input.stages[count(input.stages) - 1]

has_user if {
	some ins in final.instructions
	ins.cmd == "user"
}

is_root(u) if split(u, ":")[0] in {"root", "0"}

inherits_user if {
	final.base.stage
	some s in input.stages
	s.name == lower(final.base.name)
	users := [ins | some ins in s.instructions; ins.cmd == "user"]
	count(users) > 0
	not is_root(concat(" ", users[count(users) - 1].args))
}

empty_scratch if {
	final.base.scratch
	not has_cmd({"run", "cmd", "entrypoint"})
}

has_cmd(cmds) if {
	some ins in final.instructions
	ins.cmd in cmds
}

deny contains {"msg": "the final stage has no USER instruction", "startLine": final.from.startLine, "endLine": final.from.endLine} if {
	count(input.stages) > 0
	not has_user
	not inherits_user
	not empty_scratch
}
