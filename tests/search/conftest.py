# Search reads the API as readers do: each test starts without cached answers or
# throttle history, as in tests/api/.
from ..api.conftest import _empty_cache, reader  # noqa: F401
