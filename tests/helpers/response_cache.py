"""Checking that the API answered from its response cache."""


def cached(client, path: str, django_assert_num_queries):
    """Read `path` twice and check that the second answer came from the cache."""
    first = client.get(path)
    with django_assert_num_queries(0):
        again = client.get(path)
    assert again.status_code == first.status_code
    assert again.content == first.content
    return first
