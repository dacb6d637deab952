"""What callqa writes: per-call JSON and tables (tables.py), the HTML review site (html.py)."""
