"""Client addresses and per-tenant IP allow-lists.

The client address is the socket peer. Only when that peer is a configured
trusted proxy is X-Forwarded-For believed, read from the right and skipping
further trusted proxies, because every hop to the left of the last trusted one
could have been written by the client itself.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping

from zhike.core.errors import Forbidden

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _networks(cidrs: Iterable[str]) -> list[Network]:
    return [ipaddress.ip_network(cidr.strip(), strict=False) for cidr in cidrs]


def _parse(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(value.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _in_any(value: str, networks: list[Network]) -> bool:
    address = _parse(value)
    return address is not None and any(address in network for network in networks)


def client_ip(
    peer: str | None, headers: Mapping[str, str], trusted_proxies: Iterable[str]
) -> str | None:
    """Return the address of the client, believing X-Forwarded-For only from trusted proxies."""
    proxies = _networks(trusted_proxies)
    if peer is None or not proxies or not _in_any(peer, proxies):
        return peer
    forwarded = [
        hop.strip() for hop in headers.get("x-forwarded-for", "").split(",") if hop.strip()
    ]
    for hop in reversed(forwarded):
        if _parse(hop) is None:
            return peer
        if not _in_any(hop, proxies):
            return hop
    return forwarded[0] if forwarded else peer


def ip_allowed(ip: str | None, cidrs: Iterable[str]) -> bool:
    """True when the allow-list is empty or holds the address; an unknown address is refused."""
    networks = _networks(cidrs)
    if not networks:
        return True
    return ip is not None and _in_any(ip, networks)


def require_ip_allowed(ip: str | None, cidrs: Iterable[str]) -> None:
    if not ip_allowed(ip, cidrs):
        raise Forbidden("ip_not_allowed", ip=ip or "?")
