"""Importing a glossary/1 file, in the order it runs: ``validate`` checks the whole file
without writing, ``match`` matches each record to its stored row and decides what
differs, ``write`` writes the differences in bulk (``render`` renders a big file's
Markdown ahead). ``records`` holds what they share. The entry point is
``terms.services.glossary_import``."""
