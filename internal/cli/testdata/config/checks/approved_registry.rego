# An organisation's own rule: base images must come from the internal registry.
package org.dockerfile.approved_registry

import rego.v1

metadata := {
	"id": "ORG-DF-001",
	"title": "Base image not from the approved registry",
	"severity": "HIGH",
	"kind": "dockerfile",
	"resolution": "Use an image from registry.example.com.",
}

deny contains {"msg": sprintf("%s is not from registry.example.com", [s.base.raw]), "startLine": s.from.startLine} if {
	some s in input.stages
	not s.base.stage
	not s.base.scratch
	not startswith(s.base.name, "registry.example.com/")
}
