"""Search: what readers find, and what it tells editors.

- ``engine``: the one search of the site and the API, on PostgreSQL and SQLite alike
  (full text, typo tolerance, "did you mean").
- ``suggest``: titles and aliases as a reader types (``/api/v1/suggest/``).
- ``counting``: how often each search was made and whether it found anything.
- ``relevance``: a judged query set scored (recall@1, recall@5, mean reciprocal rank).
- ``related``: related terms suggested to editors from text similarity.
"""
