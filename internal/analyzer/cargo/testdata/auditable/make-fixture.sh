#!/usr/bin/env bash
# Rebuilds shipshape-rust-fixture: a real Rust program (src/) compiled by cargo against
# Debian bookworm's packaged crates (librust-atty-dev, librust-time-0.1-dev,
# librust-smallvec-dev, librust-regex-dev, which install them under
# /usr/share/cargo/registry), then given a .dep-v0 section written by dep-v0.py, since
# cargo-auditable itself cannot be installed on the project's machines.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/home"
cat >"$work/home/config.toml" <<'C'
[source.crates-io]
replace-with = "debian"
[source.debian]
directory = "/usr/share/cargo/registry"
[net]
offline = true
C
cp -r "$here/src" "$work/app"
cd "$work/app"
CARGO_HOME="$work/home" cargo build --release --locked
CARGO_HOME="$work/home" cargo metadata --format-version 1 --locked --offline \
  --filter-platform x86_64-unknown-linux-gnu | python3 "$here/dep-v0.py" "$work/dep-v0.zlib"
objcopy --add-section .dep-v0="$work/dep-v0.zlib" --set-section-flags .dep-v0=readonly \
  target/release/shipshape-rust-fixture "$here/shipshape-rust-fixture"
