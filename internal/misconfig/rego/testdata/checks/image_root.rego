# Reproduces the built-in SS-IC-001 on the image-config input.
package custom.image.root

import rego.v1

metadata := {
	"id": "CUSTOM-IC-001",
	"title": "Image runs as root",
	"severity": "HIGH",
	"kind": "image-config",
	"resolution": "Add USER to the Dockerfile.",
}

user := trim_space(object.get(input.config.config, "User", ""))

deny contains "no user is set (Config.User is empty), so the container runs as root" if user == ""

deny contains sprintf("Config.User is %s", [user]) if split(user, ":")[0] in {"root", "0"}
