"""The tool registry and the tools that every agent shares."""
