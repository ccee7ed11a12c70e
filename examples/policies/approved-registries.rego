# Allow only images from approved registries: every tag and digest the image carries must
# name one of them. Edit the list for your organisation.
package shipshape.approved_registries

approved := {"registry.example.com", "ghcr.io/example-org"}

refs contains ref if some ref in object.get(input.target, "repoTags", [])

refs contains ref if some ref in object.get(input.target, "repoDigests", [])

# The registry part of a reference: its first element when that looks like a host
# (has a dot or a colon, or is localhost); docker.io otherwise.
registry(ref) := host if {
	host := split(ref, "/")[0]
	regex.match(`[.:]|^localhost$`, host)
	contains(ref, "/")
} else := "docker.io"

allowed(ref) if {
	some a in approved
	startswith(ref, concat("", [a, "/"]))
}

allowed(ref) if approved[registry(ref)]

deny contains msg if {
	some ref in refs
	not allowed(ref)
	msg := sprintf("%s comes from %s, which is not an approved registry (%s)", [ref, registry(ref), concat(", ", sort(approved))])
}

deny contains msg if {
	input.target.kind == "image"
	count(refs) == 0
	msg := sprintf("%s carries no tag or digest, so its registry cannot be checked", [input.target.name])
}
