"""A leader acts on its last proof of leadership only for most of a session timeout (framework.store.lease)."""

from framework.store.lease import Lease


def test_never_confirmed_is_never_valid() -> None:
    assert not Lease(4.0).valid(0.0)


def test_valid_for_most_of_the_session_timeout_after_the_confirming_request_was_sent() -> None:
    lease = Lease(4.0).renewed(sent=100.0)
    assert lease.valid(100.0) and lease.valid(103.5)
    assert not lease.valid(103.6), "the last tenth is left for a call in flight"


def test_a_stalled_leader_acts_no_more_until_confirmed_again() -> None:
    lease = Lease(4.0).renewed(sent=100.0)
    woke = 105.0  # stopped for 5 s: the session may be gone and another may lead
    assert not lease.valid(woke)
    assert lease.renewed(sent=woke).valid(woke + 0.1)


def test_an_older_proof_does_not_shorten_the_lease() -> None:
    lease = Lease(4.0).renewed(sent=100.0).renewed(sent=99.0)
    assert lease.confirmed_at == 100.0


def test_renewed_often_enough_to_outlive_stalls_shorter_than_the_session_tolerates() -> None:
    lease = Lease(4.0)
    assert lease.renew_every + 2.5 < 0.9 * 4.0  # a 2.5 s stall right after a renewal keeps the lease
