#!/usr/bin/env bash
# Rebuilds the rpm database fixtures of rpm.test.ts with the real tools (Debian: apt-get install rpm
# db5.3-util gnupg):
#   rpmdb.sqlite  rpm's own SQLite database (RHEL 9 format), filled by `rpm -i --justdb` with packages built
#                 here by rpmbuild from the specs below, plus an imported signing key (a gpg-pubkey entry);
#   Packages      a Berkeley DB hash database (RHEL 7/8 format) written by Berkeley DB's db_load with the
#                 same header blobs, keyed by package instance number like rpm's own.
set -euo pipefail
out="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/specs" "$work/db"

cat > "$work/specs/openssl.spec" <<'SPEC'
Name: openssl
Epoch: 1
Version: 3.0.7
Release: 27.el9
Summary: Utilities from the general purpose cryptography library with TLS implementation
License: ASL 2.0
%description
The OpenSSL toolkit provides support for secure communications between machines.
%package libs
Summary: A general purpose cryptography library with TLS implementation
%description libs
OpenSSL is a toolkit for supporting cryptography.
%files
%files libs
SPEC
cat > "$work/specs/bash.spec" <<'SPEC'
Name: bash
Version: 5.1.8
Release: 9.el9
Summary: The GNU Bourne Again shell
License: GPLv3+
%description
The GNU Bourne Again shell (Bash) is a shell or command language interpreter.
%files
SPEC
cat > "$work/specs/tzdata.spec" <<'SPEC'
Name: tzdata
Version: 2024a
Release: 1.el9
Summary: Timezone data
License: Public Domain
BuildArch: noarch
%description
This package contains data files with rules for various timezones around the world.
%files
SPEC
cat > "$work/specs/nodejs.spec" <<'SPEC'
%define modularitylabel nodejs:18:9030020231120082734:rhel9
Name: nodejs
Epoch: 1
Version: 18.19.0
Release: 1.module+el9.3.0+20934+e8b7a2a8
Summary: JavaScript runtime
License: MIT and ASL 2.0 and ISC and BSD
%description
Node.js is a platform built on Chrome's JavaScript runtime.
%files
SPEC

for s in "$work"/specs/*.spec; do rpmbuild --quiet --define "_topdir $work/build" -bb "$s"; done
rpm --dbpath "$work/db" --initdb
rpm --dbpath "$work/db" -i --justdb --nodeps --noscripts --ignorearch --ignoreos "$work"/build/RPMS/*/*.rpm
export GNUPGHOME="$work/gnupg"
mkdir -m 700 "$GNUPGHOME"
gpg --batch --quiet --passphrase '' --quick-gen-key 'Palisade Fixture <fixture@example.invalid>' rsa2048 sign never
gpg --armor --export fixture@example.invalid > "$work/key.asc"
rpm --dbpath "$work/db" --import "$work/key.asc"
# Checkpoint the WAL into the main file, as rpm leaves it after a transaction.
python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('PRAGMA wal_checkpoint(TRUNCATE)'); c.close()" "$work/db/rpmdb.sqlite"
cp "$work/db/rpmdb.sqlite" "$out/rpmdb.sqlite"

# The Berkeley DB hash file: db_load's "bytevalue" dump format, keys as little-endian 32-bit instance numbers.
python3 - "$work/db/rpmdb.sqlite" > "$work/packages.dump" <<'PY'
import sqlite3, struct, sys
rows = sqlite3.connect(sys.argv[1]).execute('SELECT hnum, blob FROM Packages ORDER BY hnum').fetchall()
print('VERSION=3\nformat=bytevalue\ntype=hash\ndb_pagesize=4096\nHEADER=END')
for hnum, blob in rows:
    print(' ' + struct.pack('<I', hnum).hex())
    print(' ' + bytes(blob).hex())
print('DATA=END')
PY
rm -f "$out/Packages"
db5.3_load -f "$work/packages.dump" "$out/Packages"
rpm --dbpath "$work/db" -qa --qf '%{NAME} %{EPOCH} %{VERSION} %{RELEASE} %{ARCH} %{SOURCERPM} %{MODULARITYLABEL}\n' | sort
