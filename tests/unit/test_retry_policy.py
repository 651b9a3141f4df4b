"""The retry schedule: exact delays with the jitter source fixed."""

import pytest

from marketlink.delivery.retry_policy import next_delay_s, retry_after_seconds

SCHEDULE = (5.0, 30.0, 120.0)


@pytest.mark.parametrize("failed,rand,expected", [
    (1, 0.5, 5.0),      # middle of the jitter range: the schedule's value
    (1, 0.0, 4.0),      # -20%
    (1, 1.0, 6.0),      # +20%
    (2, 0.5, 30.0),
    (3, 0.75, 132.0),   # +10%
    (4, 0.5, None),     # schedule spent
])
def test_delay_follows_the_schedule_with_jitter(failed, rand, expected):
    assert next_delay_s(failed, SCHEDULE, 0.2, rand=lambda: rand) == expected


def test_retry_after_wins_when_longer_and_is_bounded():
    assert next_delay_s(1, SCHEDULE, 0.0, retry_after_s=60, retry_after_max_s=3600) == 60.0
    assert next_delay_s(1, SCHEDULE, 0.0, retry_after_s=1, retry_after_max_s=3600) == 5.0
    assert next_delay_s(1, SCHEDULE, 0.0, retry_after_s=99_999, retry_after_max_s=600) == 600.0


def test_retry_after_header_is_read_in_seconds_only():
    assert [retry_after_seconds(v) for v in ("120", " 7 ", "Wed, 21 Oct 2026 07:28:00 GMT", "-1", None)] \
        == [120.0, 7.0, None, None, None]
