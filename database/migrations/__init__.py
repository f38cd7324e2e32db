"""See convex_bridge: the Python calls of the framework's old bridge, run by this tool's migrate command."""
