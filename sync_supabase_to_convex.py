#!/usr/bin/env python3
"""The framework's old sync script, kept so its commands still work.

Every argument goes to this tool's `migrate sync`: table names, --dry-run, --limit=N, --format=json, and the rest of
`migrate sync --help`. MIGRATE_CLI names another migrate command to run (an installed one, or a test's).
"""
import os
import sys

migrate = os.environ.get("MIGRATE_CLI") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "migrate")
os.execv(migrate, [migrate, "sync", *sys.argv[1:]])
