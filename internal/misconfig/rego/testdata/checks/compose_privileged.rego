# Reproduces the built-in SS-CP-001 on the compose input.
package custom.compose.privileged

import rego.v1

metadata := {
	"id": "CUSTOM-CP-001",
	"title": "Service runs privileged",
	"severity": "CRITICAL",
	"kind": "compose",
	"resolution": "Remove privileged: true.",
}

deny contains {"msg": "privileged: true", "object": name, "path": sprintf("services[%q].privileged", [name])} if {
	some name, svc in input.project.services
	svc.privileged == true
}
