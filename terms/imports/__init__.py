"""Importing a glossary/1 file, in the order it runs: ``validate`` checks the whole file
without writing, ``write`` matches each record to its stored row and writes the
differences. ``records`` holds what both share. The entry point is
``terms.services.glossary_import``."""
