"""Benchmark harness for the AI Glossary CMS API: see bench/README.md."""
