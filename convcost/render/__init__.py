"""Renderers: results as terminal tables, JSON, CSV, Markdown, JUnit XML and GitHub annotations.
They return strings; the two rich tables (check's text table, verify's table) write to a given
stream and import rich only when drawn. No NumPy, no printing of their own: convcost.cli writes."""
