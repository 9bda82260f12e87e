"""`make run`'s front door: whose address a request carries, and moto answering one call at a time."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from infra.local.gateway import viewer_address
from infra.local.moto_server import OneAtATime


@pytest.mark.parametrize("peer", ["127.0.0.1", "127.0.0.53", "::1", "::ffff:127.0.0.1"])
def test_a_proxy_on_this_machine_names_the_visitor_in_x_forwarded_for(peer: str) -> None:
    assert viewer_address(peer, ["198.51.100.7"]) == "198.51.100.7"
    assert viewer_address(peer, [" 2001:DB8::1 "]) == "2001:db8::1"


def test_the_address_the_nearest_proxy_added_wins_over_what_the_client_claimed() -> None:
    assert viewer_address("127.0.0.1", ["10.0.0.1, 203.0.113.5", "198.51.100.7"]) == "198.51.100.7"
    assert viewer_address("127.0.0.1", ["10.0.0.1, 203.0.113.5"]) == "203.0.113.5"


@pytest.mark.parametrize("peer", ["203.0.113.9", "10.1.2.3", "192.168.0.10", "2001:db8::9", "::ffff:10.0.0.1"])
def test_the_header_from_any_other_peer_is_ignored(peer: str) -> None:
    assert viewer_address(peer, ["198.51.100.7"]) == peer
    assert viewer_address(peer, ["127.0.0.1"]) == peer


@pytest.mark.parametrize("header", [None, [], [""], ["not-an-ip"], ["198.51.100.7, unknown"], ["999.1.1.1"]])
def test_no_header_or_a_last_entry_that_is_not_an_address_leaves_the_peer(header: list[str] | None) -> None:
    assert viewer_address("127.0.0.1", header) == "127.0.0.1"


def test_moto_is_entered_by_one_request_at_a_time() -> None:
    inside, most = 0, 0
    lock = threading.Lock()

    def backend(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        nonlocal inside, most
        with lock:
            inside += 1
            most = max(most, inside)
        time.sleep(0.01)  # a deep copy of a table, say: long enough for the other threads to arrive
        with lock:
            inside -= 1
        start_response("200 OK", [])
        return [environ["PATH_INFO"].encode()]

    app = OneAtATime(backend)
    answers: list[list[bytes]] = []
    threads = [
        threading.Thread(target=lambda n=n: answers.append(app({"PATH_INFO": f"/{n}"}, lambda *_: None)))
        for n in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most == 1
    assert sorted(answers) == [[f"/{n}".encode()] for n in range(6)]


def test_a_streamed_body_is_read_and_closed_inside_the_lock() -> None:
    events: list[str] = []

    class Body:
        def __iter__(self) -> Any:
            events.append(f"read, locked={app.lock.locked()}")
            yield b"part"

        def close(self) -> None:
            events.append(f"closed, locked={app.lock.locked()}")

    app = OneAtATime(lambda environ, start_response: Body())
    assert app({}, lambda *_: None) == [b"part"]
    assert events == ["read, locked=True", "closed, locked=True"]
