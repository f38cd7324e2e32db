#!/usr/bin/env bash
# The framework's old script for Convex migrations, kept so its commands still work. Each runs this tool's migrate on
# the Convex database: status, apply [--target=V], rollback [--target=V], create --name=N (a Convex .json), plus any
# option of 'migrate <command> --help'. What it prints is also appended to migration_logs/ under the current folder
# (MIGRATION_LOGS_DIR to move it). With NODE_DEBUG set, the command it runs is printed first. MIGRATE_CLI names
# another migrate command to run (an installed one, or a test's).
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
migrate="${MIGRATE_CLI:-$root/migrate}"
usage() {
  echo "usage: $0 status|apply|rollback|create [options]   ('$root/migrate <command> --help' lists the options)" >&2
}
if [ $# -lt 1 ]; then usage; exit 2; fi
command="$1"
shift
case "$command" in
  status | apply | rollback) args=("$command" --database convex "$@") ;;
  create) args=(create --kind convex "$@") ;;
  -h | --help) usage; exit 0 ;;
  *) echo "unknown command '$command'" >&2; usage; exit 2 ;;
esac
if [ -n "${NODE_DEBUG:-}" ]; then
  echo "+ $migrate ${args[*]}" >&2
fi
logs="${MIGRATION_LOGS_DIR:-migration_logs}"
if mkdir -p "$logs" 2>/dev/null && [ -w "$logs" ]; then
  log="$logs/$(date -u +%Y%m%dT%H%M%SZ)-$command.log"
  "$migrate" "${args[@]}" > >(tee -a "$log") 2> >(tee -a "$log" >&2)
  code=$?
  wait # for the two tee processes to write the last lines
  exit $code
fi
exec "$migrate" "${args[@]}"
