#!/bin/sh
# Regenerates the *.rpm-qa.tsv golden files from the databases in this folder with rpm's
# own code (never with shipshape): Debian 12's rpm 4.18 reads the SQLite and (read-only)
# BerkeleyDB backends; it has no NDB backend, so ndb-query.py reads that container and
# hands each header to librpm. Needs: apt-get install -y rpm python3-rpm
#
# Columns: NAME EPOCH VERSION RELEASE ARCH SOURCERPM LICENSE VENDOR MODULARITYLABEL, tab
# separated, "(none)" where the header lacks the tag; sorted with LC_ALL=C.
set -eu
cd "$(dirname "$0")"
QF='%{NAME}\t%{EPOCH}\t%{VERSION}\t%{RELEASE}\t%{ARCH}\t%{SOURCERPM}\t%{LICENSE}\t%{VENDOR}\t%{MODULARITYLABEL}\n'
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# query GZ-FILE NAME-IN-DBPATH BACKEND OUTPUT
query() {
	rm -rf "$tmp/db" && mkdir "$tmp/db"
	gunzip -c "$1" >"$tmp/db/$2"
	case "$3" in
	ndb) /usr/bin/python3 ndb-query.py "$tmp/db/$2" "$QF" ;;
	*) rpm --define "_db_backend $3" --dbpath "$tmp/db" -qa --qf "$QF" 2>/dev/null ;;
	esac | LC_ALL=C sort >"$4"
	echo "$4: $(wc -l <"$4") packages"
}

query Packages.centos7-plain.bdb.gz Packages bdb_ro centos7-plain.rpm-qa.tsv
query Packages.centos8-modularitylabel.bdb.gz Packages bdb_ro centos8-modularitylabel.rpm-qa.tsv
query rpmdb.fedora35.sqlite.gz rpmdb.sqlite sqlite fedora35.rpm-qa.tsv
query Packages.sle15-bci.ndb.gz Packages.db ndb sle15-bci.rpm-qa.tsv
