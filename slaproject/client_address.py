"""The client's address, and which proxy headers to believe.

Behind a reverse proxy every request comes from the proxy's address; the proxy names the client
in ``X-Forwarded-For`` and the original scheme in ``X-Forwarded-Proto``. Anyone can send those
headers, so they are believed only when the request comes from a proxy listed in the
``TRUSTED_PROXIES`` setting (addresses or networks, read at request time). The sign-in lockout
and the rate limits count by ``client_address``; ``TrustedProxyMiddleware`` drops the headers
of any other sender, so that ``SECURE_PROXY_SSL_HEADER`` (HTTPS detection) cannot be claimed by
a client that reaches the application server directly.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
PROXY_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST")


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry)


def _trusted_networks() -> tuple[Network, ...]:
    entries: Iterable[str] = getattr(settings, "TRUSTED_PROXIES", ()) or ()
    return _networks(tuple(entries))


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def is_trusted_proxy(address: str) -> bool:
    parsed = _address(address)
    return parsed is not None and any(parsed in network for network in _trusted_networks())


def client_address(request: HttpRequest) -> str:
    """The address of the client: the connection's own, or, when the connection comes from a
    trusted proxy, the right-most ``X-Forwarded-For`` entry that is not a trusted proxy (the
    entries to its left were written by the client and prove nothing)."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    if not is_trusted_proxy(remote):
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        parsed = _address(hop)
        if parsed is None:
            break  # garbage where the proxy chain should be: fall back to the proxy itself
        if not is_trusted_proxy(hop):
            return str(parsed)
    return remote


class TrustedProxyMiddleware:
    """First in the chain: proxy headers from anyone but a trusted proxy are dropped."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not is_trusted_proxy(request.META.get("REMOTE_ADDR", "") or ""):
            for header in PROXY_HEADERS:
                request.META.pop(header, None)
        return self.get_response(request)
