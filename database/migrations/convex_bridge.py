"""The framework's old Python bridge, kept so its calls still work from Python code and notebooks.

Each function runs this tool's `migrate` command with `--format json` and returns its JSON result as a dict, with
`exit_code` added (0 on success; README's exit codes otherwise). Configuration is the command's own: the environment
(SUPABASE_DB_URL, CONVEX_URL, CONVEX_DEPLOY_KEY, USE_CONVEX, MIGRATIONS_DIR, ...) and the .env files of `environment`.
MIGRATE_CLI names another migrate command to run (an installed one, or a test's).
"""
import json
import os
import subprocess
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]


class MigrateCommandError(RuntimeError):
    """The migrate command gave no JSON answer (it could not start, or crashed)."""

    def __init__(self, exit_code, output):
        super().__init__(f"migrate exited {exit_code} without a JSON result: {output}")
        self.exit_code = exit_code


def _migrate(arguments, environment=None):
    command = os.environ.get("MIGRATE_CLI") or str(_ROOT / "migrate")
    full = [command, *arguments, "--format", "json"] + (["--env", environment] if environment else [])
    completed = subprocess.run(full, capture_output=True, text=True, check=False)
    try:
        result = json.loads(completed.stdout)
    except json.JSONDecodeError:
        raise MigrateCommandError(completed.returncode, (completed.stderr or completed.stdout).strip()) from None
    result["exit_code"] = completed.returncode
    return result


def _versions(target_version, dry_run):
    return (["--target", str(target_version)] if target_version is not None else []) + (["--dry-run"] if dry_run else [])


def run_universal_migrations(target_version=None, dry_run=False, environment=None):
    """Supabase, then Convex when enabled, with one unified result (`migrate universal`)."""
    return _migrate(["universal", *_versions(target_version, dry_run)], environment)


def get_migration_status(environment=None, database=None):
    """Each version's state on each database (`migrate status`)."""
    return _migrate(["status", *(["--database", database] if database else [])], environment)


def apply_migrations(target_version=None, dry_run=False, environment=None, database=None):
    """Pending migrations applied (`migrate apply`); `database` is supabase, convex or all (the default)."""
    return _migrate(["apply", *_versions(target_version, dry_run), *(["--database", database] if database else [])],
                    environment)


def rollback_migrations(target_version=None, dry_run=False, environment=None, database=None):
    """The latest migration, or every one above `target_version`, rolled back (`migrate rollback`)."""
    return _migrate(["rollback", *_versions(target_version, dry_run), *(["--database", database] if database else [])],
                    environment)
