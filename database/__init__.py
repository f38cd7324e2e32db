"""The framework's old Python package path, kept so `from database.migrations.convex_bridge import ...` still works."""
