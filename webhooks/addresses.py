"""Where a webhook may go (docs/webhooks.md#where-a-webhook-may-go): the SSRF rules.

An endpoint's URL is `https://` with a host name or a public IP address. Its name is
resolved at registration, and again at every attempt, and every address it resolves to
must be public: not private, loopback, link-local (the cloud metadata address among them),
shared (CGNAT), unique-local, multicast, unspecified or reserved, nor an IPv6 form that
carries an IPv4 address (mapped, NAT64, 6to4, Teredo). The attempt then connects to the very
address it checked (`Target.address`), with the name kept for TLS (SNI, the certificate
check) and the Host header: a name that resolves to a public address when checked and to an
internal one a moment later (DNS rebinding) never gets a connection to the inside.

With WEBHOOK_ALLOW_PRIVATE=1 (local development: `make run`) plain `http://` and private and
loopback addresses are allowed; the metadata addresses, multicast and unspecified never are.
"""

import ipaddress
import re
import socket
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

URL_MAX_LENGTH = 2000
# Cloud instance metadata: never a webhook's target, whatever WEBHOOK_ALLOW_PRIVATE says.
METADATA = frozenset(ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254"))
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # CGNAT
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
# What inet_aton reads as an IPv4 address besides a.b.c.d: 2130706433, 0x7f.1, 017700000001.
_LEGACY_IPV4 = re.compile(r"[0-9a-fA-FxX.]+")
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
# How long resolving a name may take (the system resolver has no timeout of its own here).
RESOLVE_TIMEOUT_S = 5.0
_resolver = ThreadPoolExecutor(max_workers=4, thread_name_prefix="webhook-dns")


class UrlRefused(ValueError):
    """The URL, or an address it resolves to, is not one a webhook may go to; the message
    says why, in words for the person who typed it."""


@dataclass(frozen=True)
class Target:
    """A checked URL: `host` for TLS and the Host header, `address` to connect to."""

    scheme: str
    host: str
    port: int
    path: str
    address: str = ""

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        name = f"[{self.host}]" if ":" in self.host else self.host
        return name if self.port == default else f"{name}:{self.port}"


def allow_private() -> bool:
    return bool(getattr(settings, "WEBHOOK_ALLOW_PRIVATE", False))


def address_refusal(address: IPAddress) -> str | None:
    """Why a webhook may not go to `address`; None when it may."""
    if address in METADATA:
        return "a cloud metadata address"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_multicast:
        return "a multicast address"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return "an IPv4-mapped IPv6 address"
        if any(address in net for net in _NAT64) or address.sixtofour or address.teredo:
            return "an IPv6 address that carries an IPv4 one (NAT64, 6to4, Teredo)"
    if allow_private():
        return None
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if isinstance(address, ipaddress.IPv4Address) and address in _SHARED:
        return "a shared (CGNAT) address"
    if address.is_private:
        return "a private address"
    if address.is_reserved or not address.is_global:
        return "a reserved address"
    return None


def _literal(host: str) -> IPAddress | None:
    """The IP address `host` is written as, in any form a resolver reads as one; None for a
    name. Raises UrlRefused for the legacy IPv4 forms (decimal, octal, hex, short), which
    nobody writes on purpose and which filters that only know a.b.c.d miss."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _LEGACY_IPV4.fullmatch(host) and not host.replace(".", "").isalpha():
        try:
            packed = socket.inet_aton(host)
        except OSError:
            return None
        address = ipaddress.IPv4Address(packed)
        raise UrlRefused(
            f"'{host}' is the IPv4 address {address} written in another form; "
            "write addresses as four decimal numbers (a.b.c.d), or use a host name."
        )
    return None


def url_parse(url: str) -> Target:
    """The URL's parts, once its form is one a webhook may have. Raises UrlRefused."""
    if not isinstance(url, str) or not url or len(url) > URL_MAX_LENGTH:
        raise UrlRefused(f"Give a URL of at most {URL_MAX_LENGTH} characters.")
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise UrlRefused("A URL has no spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UrlRefused(f"This is not a valid URL ({exc}).") from exc
    if port == 0:
        raise UrlRefused("Port 0 is not a port a webhook can go to.")
    schemes = ("https", "http") if allow_private() else ("https",)
    if parts.scheme.lower() not in schemes:
        raise UrlRefused(
            "Use an https:// URL." if not allow_private() else "Use an https:// or http:// URL."
        )
    if parts.username is not None or parts.password is not None:
        raise UrlRefused("Put no user name or password in the URL: verify the signature instead.")
    if parts.fragment:
        raise UrlRefused("A webhook URL has no fragment (#...).")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UrlRefused("The URL names no host.")
    if "%" in host:
        raise UrlRefused("An IPv6 zone (%...) is not allowed in a webhook URL.")
    address = _literal(host)
    if address is None:
        try:
            host = host.encode("idna").decode("ascii").lower()
        except UnicodeError as exc:
            raise UrlRefused("The host name is not a valid domain name.") from exc
        if len(host) > 253 or not all(_LABEL.fullmatch(label) for label in host.split(".")):
            raise UrlRefused("The host name is not a valid domain name.")
    else:
        host = str(address)
    scheme = parts.scheme.lower()
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(scheme, host, port or (443 if scheme == "https" else 80), path)


def _resolve(host: str, port: int) -> list[IPAddress]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(
        dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos)
    )


def addresses_of(target: Target) -> list[IPAddress]:
    """Every address the target's host resolves to (itself, for an IP address), each of them
    allowed. Raises UrlRefused when any is refused or the name does not resolve."""
    try:
        addresses = [ipaddress.ip_address(target.host)]
    except ValueError:
        future = _resolver.submit(_resolve, target.host, target.port)
        try:
            addresses = future.result(timeout=RESOLVE_TIMEOUT_S)
        except FutureTimeout as exc:
            raise UrlRefused(f"Resolving {target.host} took too long.") from exc
        except (OSError, UnicodeError, ValueError) as exc:
            raise UrlRefused(f"{target.host} does not resolve to an address.") from exc
    if not addresses:
        raise UrlRefused(f"{target.host} does not resolve to an address.")
    for address in addresses:
        refusal = address_refusal(address)
        if refusal:
            named = target.host if str(address) == target.host else f"{target.host} ({address})"
            raise UrlRefused(f"{named} is {refusal}: a webhook may only go to a public address.")
    return addresses


def url_check(url: str) -> Target:
    """A URL an endpoint may be registered with, its name resolved and every address
    allowed; the target pinned to its first address. Raises UrlRefused."""
    target = url_parse(url)
    address = addresses_of(target)[0]
    return Target(target.scheme, target.host, target.port, target.path, str(address))
