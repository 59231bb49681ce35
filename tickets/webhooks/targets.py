"""Where a webhook may be sent: HTTPS URLs of public addresses (no private, loopback, link-local
or other non-global address), checked when the endpoint is saved and again, on the addresses the
name resolves to, at every delivery (``tickets.webhooks.transport`` then connects to an address it
checked, so a name that changes its answer in between cannot smuggle in an internal one).

``WEBHOOKS_ALLOW_PRIVATE`` (tests, a receiver on the same machine) lifts the address rule and also
allows plain ``http://``.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

MAX_URL_LENGTH = 2000
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class TargetRefused(ValueError):
    """The URL or the address it leads to may not receive webhooks; the message says why."""


@dataclass(frozen=True)
class Target:
    scheme: str  # "https" (or "http" when private targets are allowed)
    host: str  # the name or address as written, without brackets
    port: int
    path: str  # path and query, at least "/"


def target_parse(url: str, *, allow_private: bool) -> Target:
    """Check the form of ``url``; ``TargetRefused`` with the reason when it cannot be a target."""
    if len(url) > MAX_URL_LENGTH:
        raise TargetRefused(_("At most %(n)s characters.") % {"n": MAX_URL_LENGTH})
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise TargetRefused(_("A URL has no spaces or control characters."))
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise TargetRefused(_("Not a valid URL.")) from None
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in schemes:
        raise TargetRefused(_("Must be an https:// URL."))
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise TargetRefused(_("The URL names no host."))
    if parts.username is not None or parts.password is not None:
        raise TargetRefused(
            _("Put no user name or password in the URL; the signature proves it is us.")
        )
    if parts.fragment:
        raise TargetRefused(_("A URL sent to has no #fragment."))
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    default_port = 443 if parts.scheme == "https" else 80
    return Target(scheme=parts.scheme, host=host, port=port or default_port, path=path)


def _literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def address_refusal(address: Address) -> str | None:
    """Why ``address`` may not be sent to (private, loopback, link-local, …), or None."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return _("a loopback address")
    if address.is_link_local:
        return _("a link-local address")
    if address.is_private:
        return _("a private address")
    if address.is_multicast or address.is_unspecified or address.is_reserved:
        return _("a reserved address")
    if not address.is_global:
        return _("an address not reachable on the internet")
    return None


def resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to (the system resolver), in its order. Tests replace it
    (this machine has no DNS)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    found: list[str] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = str(sockaddr[0]).split("%", 1)[0]
        if address not in found:
            found.append(address)
    return found


def target_addresses(target: Target, *, allow_private: bool) -> list[Address]:
    """The addresses to connect to for ``target``, every one of them allowed; ``TargetRefused``
    when the name does not resolve or any address it resolves to is refused."""
    literal = _literal(target.host)
    if literal is not None:
        addresses: list[Address] = [literal]
    else:
        if _is_localhost(target.host) and not allow_private:
            raise TargetRefused(_("%(host)s is this machine.") % {"host": target.host})
        try:
            addresses = [ipaddress.ip_address(a) for a in resolve(target.host, target.port)]
        except (OSError, UnicodeError, ValueError) as exc:
            raise TargetRefused(
                _("Could not resolve %(host)s: %(error)s") % {"host": target.host, "error": exc}
            ) from None
        if not addresses:
            raise TargetRefused(_("%(host)s resolves to no address.") % {"host": target.host})
    if not allow_private:
        for address in addresses:
            why = address_refusal(address)
            if why is not None:
                raise TargetRefused(
                    _("%(host)s resolves to %(address)s, %(why)s: refused.")
                    % {"host": target.host, "address": address, "why": why}
                    if literal is None
                    else _("%(address)s is %(why)s: refused.") % {"address": address, "why": why}
                )
    return addresses


def url_check_on_save(url: str, *, allow_private: bool) -> Target:
    """The check when an endpoint is saved: the URL's form, and its address when it is written
    as one or the name resolves now (a name that does not resolve yet is checked again at each
    delivery)."""
    target = target_parse(url, allow_private=allow_private)
    try:
        target_addresses(target, allow_private=allow_private)
    except TargetRefused:
        if _literal(target.host) is not None or _resolves(target):
            raise
        if _is_localhost(target.host):
            raise
    return target


def _is_localhost(host: str) -> bool:
    return host.lower() == "localhost" or host.lower().endswith(".localhost")


def _resolves(target: Target) -> bool:
    try:
        return bool(resolve(target.host, target.port))
    except (OSError, UnicodeError, ValueError):
        return False
