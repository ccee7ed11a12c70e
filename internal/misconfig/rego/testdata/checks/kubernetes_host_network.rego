# Reproduces the built-in SS-K8S-002 on the Kubernetes input.
package custom.kubernetes.host_network

import rego.v1

metadata := {
	"id": "CUSTOM-K8S-002",
	"title": "Host network namespace shared",
	"severity": "HIGH",
	"kind": "kubernetes",
	"resolution": "Remove hostNetwork.",
}

object_name(o) := sprintf("%s/%s/%s", [o.kind, o.namespace, o.name]) if o.namespace != ""

object_name(o) := sprintf("%s/%s", [o.kind, o.name]) if object.get(o, "namespace", "") == ""

spec_path(o, field) := concat(".", [p | some p in [object.get(o, "prefix", ""), o.podPath, "spec", field]; p != ""])

deny contains {"msg": "hostNetwork: true", "object": object_name(o), "path": sprintf("#%d/%s", [o.document, spec_path(o, "hostNetwork")])} if {
	some o in input.objects
	o.spec.hostNetwork == true
}
