"""The shipped VCL (varnish.vcl) with its values filled in."""

import ipaddress
from pathlib import Path

from django.conf import settings

VCL_PATH = Path(__file__).with_name("varnish.vcl")


def acl_entry(address: str) -> str:
    """One purgers ACL line: "10.0.0.5"; or "10.0.0.0"/8 for a network."""
    network = ipaddress.ip_network(address.strip(), strict=False)
    if network.num_addresses == 1:
        return f'    "{network.network_address}";'
    return f'    "{network.network_address}"/{network.prefixlen};'


def render_vcl(*, backend_host: str, backend_port: int, purge_from: list[str]) -> str:
    """varnish.vcl for a site at ``backend_host:backend_port``, accepting purges from the
    addresses or networks ``purge_from`` (ValueError for one that is neither)."""
    values = {
        "BACKEND_HOST": backend_host,
        "BACKEND_PORT": str(int(backend_port)),
        "PURGE_FROM": "\n".join(acl_entry(address) for address in purge_from),
        "SESSION_COOKIE": settings.SESSION_COOKIE_NAME,
        "STALE_WHILE_REVALIDATE": str(int(settings.CDN_STALE_WHILE_REVALIDATE)),
    }
    text = VCL_PATH.read_text()
    for name, value in values.items():
        text = text.replace(f"@@{name}@@", value)
    return text
