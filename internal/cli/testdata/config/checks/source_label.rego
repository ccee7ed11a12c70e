# An organisation's own rule: images must say where their source is.
package org.image.source_label

import rego.v1

metadata := {
	"id": "ORG-IC-001",
	"title": "Image has no source label",
	"severity": "MEDIUM",
	"kind": "image-config",
	"resolution": "Add LABEL org.opencontainers.image.source=<repository URL>.",
}

deny contains "the image has no org.opencontainers.image.source label" if {
	not input.config.config.Labels["org.opencontainers.image.source"]
}
