"""The MCP server at /mcp (docs/api.md, "MCP"): the JSON API's tools for assistants."""
