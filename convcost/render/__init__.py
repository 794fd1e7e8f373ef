"""Plain-text renderings of results (JSON, CSV, Markdown). No rich, no NumPy: the report path stays fast."""
