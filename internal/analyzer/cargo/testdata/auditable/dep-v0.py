#!/usr/bin/env python3
"""Writes the cargo-auditable audit data (zlib-compressed JSON, format 1) for a Cargo
project from `cargo metadata --filter-platform TARGET` output on standard input, following
the published schema (rustsec.org/schemas/cargo-auditable.json): packages sorted by name,
version and source, dependencies as indices into that list, the root package marked
"root", build-only packages "kind": "build". Usage: cargo metadata ... | dep-v0.py OUT"""
import json
import sys
import zlib

meta = json.load(sys.stdin)
pkgs = {p["id"]: p for p in meta["packages"]}
nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
root = meta["resolve"]["root"]


def source(p):
    s = p.get("source")
    if s is None:
        return "local"
    if s in ("registry+https://github.com/rust-lang/crates.io-index", "sparse+https://index.crates.io/"):
        return "crates.io"
    return "git" if s.startswith("git+") else "registry"


# A package is a runtime dependency when some path of non-build edges reaches it.
runtime = {root}
todo = [root]
while todo:
    n = nodes[todo.pop()]
    for d in n["deps"]:
        if any(k["kind"] != "build" for k in d["dep_kinds"]) and d["pkg"] not in runtime:
            runtime.add(d["pkg"])
            todo.append(d["pkg"])

ids = sorted(nodes, key=lambda i: (pkgs[i]["name"], pkgs[i]["version"], source(pkgs[i])))
index = {i: n for n, i in enumerate(ids)}
out = []
for i in ids:
    p = pkgs[i]
    e = {"name": p["name"], "version": p["version"], "source": source(p)}
    if i not in runtime:
        e["kind"] = "build"
    deps = sorted(index[d["pkg"]] for d in nodes[i]["deps"])
    if deps:
        e["dependencies"] = deps
    if i == root:
        e["root"] = True
    out.append(e)
data = json.dumps({"format": 1, "packages": out}, separators=(",", ":")).encode()
open(sys.argv[1], "wb").write(zlib.compress(data, 9))
print(data.decode())
