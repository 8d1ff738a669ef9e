"""Where a webhook may go: the SSRF rules, at registration and at delivery."""

import socket
from typing import Any

import pytest

from webhooks import transport
from webhooks.addresses import UrlRefused, url_check, url_parse

REFUSED = {
    "plain http": "http://93.184.215.14/",
    "loopback": "https://127.0.0.1/",
    "loopback, short": "https://127.1/",
    "loopback, decimal": "https://2130706433/",
    "loopback, hex": "https://0x7f.1/",
    "loopback, octal": "https://017700000001/",
    "loopback, dotted hex": "https://0x7f.0x0.0x0.0x1/",
    "private 10/8": "https://10.1.2.3/",
    "private 172.16/12": "https://172.16.0.1/",
    "private 192.168/16": "https://192.168.1.1:8443/",
    "CGNAT": "https://100.64.0.1/",
    "link-local": "https://169.254.1.1/",
    "metadata": "https://169.254.169.254/latest/meta-data/",
    "unspecified": "https://0.0.0.0/",
    "multicast": "https://224.0.0.1/",
    "broadcast": "https://255.255.255.255/",
    "IPv6 loopback": "https://[::1]/",
    "IPv6 unspecified": "https://[::]/",
    "IPv6 unique-local": "https://[fd12:3456::1]/",
    "IPv6 metadata": "https://[fd00:ec2::254]/",
    "IPv6 link-local": "https://[fe80::1]/",
    "IPv4-mapped loopback": "https://[::ffff:127.0.0.1]/",
    "IPv4-mapped public": "https://[::ffff:93.184.215.14]/",
    "NAT64": "https://[64:ff9b::7f00:1]/",
    "6to4": "https://[2002:7f00:1::]/",
    "IPv6 zone": "https://[fe80::1%25eth0]/",
    "localhost": "https://localhost/",
    "a name that does not resolve": "https://nothing.invalid/",
    "credentials": "https://user:secret@93.184.215.14/",
    "fragment": "https://93.184.215.14/#x",
    "no host": "https:///path",
    "another scheme": "file:///etc/passwd",
    "gopher": "gopher://93.184.215.14/",
    "a space": "https://93.184.215.14/a b",
    "a bad port": "https://93.184.215.14:99999/",
    "port 0": "https://93.184.215.14:0/",
    "fullwidth digits": "https://①②⑦.0.0.1/",
    "ideographic dots": "https://127。0。0。1/",
    "IPv4-compatible IPv6": "https://[::127.0.0.1]/",
}


@pytest.mark.parametrize("url", REFUSED.values(), ids=REFUSED.keys())
def test_a_url_that_could_reach_the_inside_is_refused(url: str) -> None:
    with pytest.raises(UrlRefused):
        url_check(url)


@pytest.mark.parametrize(
    "url",
    ["https://93.184.215.14/hooks", "https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]:8443/x?y=1"],
)
def test_a_public_address_is_allowed(url: str) -> None:
    assert url_check(url).address


def test_a_name_resolving_to_any_private_address_is_refused(monkeypatch: Any) -> None:
    def resolve(host: str, port: int, **kwargs: Any) -> list[Any]:
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with pytest.raises(UrlRefused, match=r"hooks.example.com \(10.0.0.5\) is a private"):
        url_check("https://hooks.example.com/")


def test_a_name_is_checked_again_at_delivery_so_rebinding_to_the_inside_fails(
    monkeypatch: Any,
) -> None:
    """Registered while the name resolved to a public address; at delivery it resolves to
    loopback: the attempt is refused before any connection."""
    answers = iter([["93.184.215.14"], ["127.0.0.1"]])
    connected: list[Any] = []

    def resolve(host: str, port: int, **kwargs: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in next(answers)]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: connected.append(a))
    url_check("https://rebind.example.com/hook")

    outcome = transport.post("https://rebind.example.com/hook", {}, b"{}")

    assert outcome.status_code is None
    assert "127.0.0.1" in outcome.error and "loopback" in outcome.error
    assert connected == []


def test_delivery_connects_to_the_checked_address_and_names_the_host(monkeypatch: Any) -> None:
    """The address checked is the one connected to: no second lookup in between."""
    lookups: list[str] = []
    connected: list[Any] = []

    def resolve(host: str, port: int, **kwargs: Any) -> list[Any]:
        lookups.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port))]

    def connect(address: Any, *args: Any, **kwargs: Any) -> Any:
        connected.append(address)
        raise OSError("no network in this test")

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    monkeypatch.setattr(socket, "create_connection", connect)
    outcome = transport.post("https://hooks.example.com/x", {}, b"{}")
    assert lookups == ["hooks.example.com"]
    assert connected == [("93.184.215.14", 443)]
    assert "no network" in outcome.error


def test_with_allow_private_local_receivers_work_but_metadata_never(settings: Any) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE = True
    assert url_check("http://127.0.0.1:8080/hook").address == "127.0.0.1"
    assert url_check("http://10.1.2.3/").address == "10.1.2.3"
    for url in (
        "http://169.254.169.254/",
        "http://[fd00:ec2::254]/",
        "http://0.0.0.0/",
        "http://[::ffff:127.0.0.1]/",
        "http://2130706433/",
    ):
        with pytest.raises(UrlRefused):
            url_check(url)


def test_the_parts_of_a_url_are_kept_for_host_and_path() -> None:
    target = url_parse("HTTPS://Hooks.Example.COM./a/b?c=1")
    assert (target.scheme, target.host, target.port, target.path) == (
        "https",
        "hooks.example.com",
        443,
        "/a/b?c=1",
    )
    assert url_parse("https://bücher.example/").host == "xn--bcher-kva.example"
    assert url_parse("https://[2606:2800::1]:8443/").host_header == "[2606:2800::1]:8443"
