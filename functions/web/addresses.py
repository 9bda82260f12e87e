"""Which IP addresses count as the public internet: the one address policy of Chorus.

Short-link destinations (``functions.links.destinations``) and every address the page fetcher
(``functions.web.fetch``) connects to are judged by ``is_public_address``, so a literal address that the
fetcher would never connect to is never registered as a destination either.

Public means a global unicast address that is no cloud metadata service. IPv6 forms that carry an IPv4
address (mapped ``::ffff:a.b.c.d``, 6to4 ``2002::/16``) are judged by that IPv4 address; the rest of the
transition and special ranges (IPv4-compatible ``::a.b.c.d``, NAT64 ``64:ff9b::/96``, Teredo, site-local
``fec0::/10``, documentation, ORCHID…) are refused outright: no public page is addressed that way.
"""

from __future__ import annotations

import ipaddress
import re
import socket

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
# Cloud metadata services: most are link-local or private already; listed so that no rule change forgets them.
_METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(address)
    for address in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200", "192.0.0.192")
)
# IPv6 ranges that embed or translate to IPv4 (or tunnel it): never a public page's own address.
_TRANSLATED = tuple(
    ipaddress.ip_network(network)
    for network in ("::/96", "64:ff9b::/96", "64:ff9b:1::/48", "2001::/32", "fec0::/10", "::ffff:0:0:0/96")
)


def is_public_address(address: IPAddress) -> bool:
    """True only for a unicast address on the public internet that is no cloud metadata service."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None:
            return is_public_address(embedded)
        if any(address in network for network in _TRANSLATED):
            return False
    if address in _METADATA_ADDRESSES or address in _CGNAT:
        return False
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or getattr(address, "is_site_local", False)
    )


class AddressFormError(ValueError):
    """The host looks like an IPv4 address in a legacy form but is not a valid one."""


def host_address(host: str) -> IPAddress | None:
    """The address a URL's host names literally, as a browser reads it, or None for a DNS name.

    Browsers read "127.1", "0x7f.0.0.1" and "2130706433" as IPv4 (the WHATWG URL rules): so does Chorus.
    """
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    last = host.rsplit(".", 1)[-1]
    if last.isdigit() or re.fullmatch(r"0x[0-9a-f]*", last):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            raise AddressFormError(host) from None
    return None
