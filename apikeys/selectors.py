"""Reading keys: the one place a presented key is matched to its row."""

import hmac

from .models import KEY_PREFIX, ApiKey, secret_hash


def api_key_matching(text: str) -> ApiKey | None:
    """The key whose text this is (whatever its state), or None. One query, by prefix;
    the hashes are compared in constant time."""
    if not text.startswith(KEY_PREFIX):
        return None
    parts = text[len(KEY_PREFIX) :].split("_", 1)
    if len(parts) != 2 or not parts[0] or not parts[1]:
        return None
    key = ApiKey.objects.filter(prefix=parts[0]).first()
    if key is None or not hmac.compare_digest(key.secret_hash, secret_hash(text)):
        return None
    return key
