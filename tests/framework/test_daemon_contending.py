"""After a term ends, a scheduler contends again at once, unless its terms keep ending quickly."""

from framework.daemon import contend_again_after


def test_a_term_that_lasted_is_followed_by_contending_at_once() -> None:
    assert contend_again_after(term=600.0, previous=1.0) == 0.0


def test_terms_that_keep_ending_quickly_back_off_up_to_a_second() -> None:
    pauses = [0.0]
    for _ in range(8):
        pauses.append(contend_again_after(term=0.2, previous=pauses[-1]))
    assert 0 < pauses[1] < pauses[2] < pauses[3]
    assert max(pauses) == 1.0 == pauses[-1]
