#!/usr/bin/python3
"""Print rpm query-format lines for every package of an NDB rpm database (Packages.db).

Debian's rpm 4.18 is built without the NDB backend, so `rpm --dbpath` cannot read
Packages.db. This script reads the NDB container itself (format: rpm's
lib/backend/ndb/rpmpkg.c) and hands each header blob to librpm through python3-rpm
(`rpm.hdr(blob)`, i.e. headerImport), then formats it with rpm's own query formats.
It shares no code with go-rpmdb or shipshape.

usage: /usr/bin/python3 ndb-query.py Packages.db QUERYFORMAT
"""
import struct
import sys

import rpm  # Debian package python3-rpm

PAGE = 4096


def blobs(data):
    magic, version, _generation, npages = struct.unpack_from("<4I", data, 0)
    if magic != int.from_bytes(b"RpmP", "little") or version != 0:
        sys.exit("not an NDB rpm database")
    # Slots fill npages pages of 16-byte entries; the 32-byte header takes the first two.
    for off in range(32, npages * PAGE, 16):
        smagic, pkgidx, blkoff, _blkcnt = struct.unpack_from("<4I", data, off)
        if smagic != int.from_bytes(b"Slot", "little"):
            sys.exit("bad slot at offset %d" % off)
        if pkgidx == 0:
            continue
        start = blkoff * 16
        bmagic, bpkg, _cksum, blen = struct.unpack_from("<4I", data, start)
        if bmagic != int.from_bytes(b"BlbS", "little") or bpkg != pkgidx:
            sys.exit("bad blob for package %d" % pkgidx)
        yield data[start + 16:start + 16 + blen]


def main():
    path, qf = sys.argv[1], sys.argv[2]
    with open(path, "rb") as f:
        data = f.read()
    for blob in blobs(data):
        sys.stdout.write(rpm.hdr(blob).format(qf))


if __name__ == "__main__":
    main()
