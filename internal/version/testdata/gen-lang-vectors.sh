#!/usr/bin/env bash
# Regenerates <eco>-vectors.tsv for the language ecosystems from <eco>-corpus.txt: every
# pair (a, b), a at or before b in the corpus, with what the ecosystem's own implementation
# says: <, =, >, "bad" (it refuses a or b) or "none" (it accepts both but orders neither
# way: Composer branches).
#
#   pypi       Python "packaging" (Version <=>)         Debian: python3-packaging
#   npm        node-semver (semver.compare)             node with npm (npm bundles semver)
#   rubygems   Gem::Version#<=>                         Debian: ruby
#   maven      ComparableVersion#compareTo              Debian: maven (maven-artifact jar)
#   packagist  composer/semver VersionParser::normalize, then Comparator
#                                                       Debian: php-cli + php-composer-semver
#   crates.io  the semver crate, precedence (major, minor, patch, pre; build ignored)
#                                                       Debian: cargo + librust-semver-dev
#
# Usage: gen-lang-vectors.sh [pypi npm rubygems maven packagist crates]   (default: all)
# Run from this folder. testdata/README.md records the tool versions used.
set -euo pipefail
export LC_ALL=C.UTF-8
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

pairs() { # all pairs i <= j of a corpus file
	grep -v '^#' "$1" | awk -F'\n' '{ v[NR] = $0 } END { for (i = 1; i <= NR; i++) for (j = i; j <= NR; j++) print v[i] "\t" v[j] }'
}

gen_pypi() {
	/usr/bin/python3 - "$1" <<'PY'
import sys
from packaging.version import Version, InvalidVersion
def parse(s):
    try:
        return Version(s)
    except InvalidVersion:
        return None
for line in open(sys.argv[1], encoding="utf-8"):
    a, b = line.rstrip("\n").split("\t")
    va, vb = parse(a), parse(b)
    r = "bad" if va is None or vb is None else "<" if va < vb else ">" if va > vb else "="
    print(f"{a}\t{b}\t{r}")
PY
}

gen_npm() {
	node - "$1" <<'JS'
const semver = require('/usr/lib/node_modules/npm/node_modules/semver')
const lines = require('fs').readFileSync(process.argv[2], 'utf8').split('\n').filter(Boolean)
for (const l of lines) {
  const [a, b] = l.split('\t')
  let r
  try { r = ['<', '=', '>'][semver.compare(a, b) + 1] } catch (e) { r = 'bad' }
  console.log(`${a}\t${b}\t${r}`)
}
JS
}

gen_rubygems() {
	ruby -e '
File.foreach(ARGV[0], chomp: true) do |l|
  a, b = l.split("\t", 2)
  r = begin
    { -1 => "<", 0 => "=", 1 => ">" }[Gem::Version.new(a) <=> Gem::Version.new(b)]
  rescue ArgumentError
    "bad"
  end
  puts "#{a}\t#{b}\t#{r}"
end' "$1"
}

gen_maven() {
	cat > "$tmp/Cmp.java" <<'JAVA'
import java.nio.file.*;
import org.apache.maven.artifact.versioning.ComparableVersion;
public class Cmp {
  public static void main(String[] args) throws Exception {
    for (String l : Files.readAllLines(Path.of(args[0]))) {
      String[] p = l.split("\t", -1);
      int c = new ComparableVersion(p[0]).compareTo(new ComparableVersion(p[1]));
      System.out.println(p[0] + "\t" + p[1] + "\t" + (c < 0 ? "<" : c > 0 ? ">" : "="));
    }
  }
}
JAVA
	java -cp /usr/share/maven/lib/maven-artifact-3.x.jar "$tmp/Cmp.java" "$1"
}

gen_packagist() {
	php -r '
require "/usr/share/php/Composer/Semver/autoload.php";
use Composer\Semver\VersionParser;
use Composer\Semver\Comparator;
$p = new VersionParser();
foreach (file($argv[1], FILE_IGNORE_NEW_LINES) as $l) {
  [$a, $b] = explode("\t", $l, 2);
  try { $na = $p->normalize($a); $nb = $p->normalize($b); }
  catch (UnexpectedValueException $e) { echo "$a\t$b\tbad\n"; continue; }
  if (Comparator::lessThan($na, $nb)) $r = "<";
  elseif (Comparator::greaterThan($na, $nb)) $r = ">";
  elseif (Comparator::equalTo($na, $nb)) $r = "=";
  else $r = "none";
  echo "$a\t$b\t$r\n";
}' "$1"
}

gen_crates() {
	mkdir -p "$tmp/semvercmp/src" "$tmp/semvercmp/.cargo"
	cat > "$tmp/semvercmp/Cargo.toml" <<'TOML'
[package]
name = "semvercmp"
version = "0.1.0"
edition = "2021"
[dependencies]
semver = "1"
TOML
	cat > "$tmp/semvercmp/.cargo/config.toml" <<'TOML'
[source.crates-io]
replace-with = "debian"
[source.debian]
directory = "/usr/share/cargo/registry"
[net]
offline = true
TOML
	cat > "$tmp/semvercmp/src/main.rs" <<'RS'
use semver::Version;
use std::cmp::Ordering::*;
fn main() {
    let f = std::fs::read_to_string(std::env::args().nth(1).unwrap()).unwrap();
    for l in f.lines() {
        let (a, b) = l.split_once('\t').unwrap();
        let r = match (Version::parse(a), Version::parse(b)) {
            (Ok(x), Ok(y)) => match (x.major, x.minor, x.patch, &x.pre).cmp(&(y.major, y.minor, y.patch, &y.pre)) {
                Less => "<",
                Equal => "=",
                Greater => ">",
            },
            _ => "bad",
        };
        println!("{}\t{}\t{}", a, b, r);
    }
}
RS
	(cd "$tmp/semvercmp" && cargo build -q --release >&2)
	"$tmp/semvercmp/target/release/semvercmp" "$1"
}

ecos=("$@")
[ ${#ecos[@]} -gt 0 ] || ecos=(pypi npm rubygems maven packagist crates)
for eco in "${ecos[@]}"; do
	pairs "$eco-corpus.txt" > "$tmp/pairs"
	out="$eco-vectors.tsv"
	{ printf 'a\tb\texpect\n'; "gen_$eco" "$tmp/pairs"; } > "$tmp/out"
	mv "$tmp/out" "$out"
	echo "$out: $(($(wc -l < "$out") - 1)) pairs" >&2
done
