"""Prometheus metrics (docs/operations.md has what each means).

Every process has its own registry and is its own scrape target: ``marketlink serve`` answers
``GET /metrics``, ``marketlink worker --metrics-port N`` serves the same page on its own port.
Counters and histograms count what this process did (Prometheus sums them over targets); the
queue gauges are read from the database at scrape time, so every target reports the same
queue, whichever process is asked.
"""

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from sqlalchemy.ext.asyncio import AsyncConnection

from marketlink.storage import outbox

# Seconds: from a few milliseconds (a host on the same network) to the client's timeout.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# Seconds from the change that made the event to its delivery: retries take minutes to hours.
LATENCY_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0,
                   3600.0, 14400.0, 86400.0)


class Metrics:
    """One per process, made by whoever makes the ``Services``."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.deliveries = Counter(
            "marketlink_deliveries", "Notification attempts finished, by outcome and mode "
            "(NOTIFY: GET then fetch; DIRECT: the document POSTed).",
            ["outcome", "mode"], registry=self.registry)
        self.delivery_duration = Histogram(
            "marketlink_delivery_duration_seconds", "Time of one attempt's HTTP exchange with "
            "the product host (token fetch included).", ["mode"], buckets=DURATION_BUCKETS,
            registry=self.registry)
        self.delivery_latency = Histogram(
            "marketlink_delivery_latency_seconds", "From the event's creation to the end of the "
            "attempt that settled it (retries included).", ["outcome"], buckets=LATENCY_BUCKETS,
            registry=self.registry)
        self.token_fetch_failures = Counter(
            "marketlink_token_fetch_failures", "OAuth 2.0 client-credentials token requests "
            "to product hosts' token URIs that failed.", registry=self.registry)
        self.host_in_flight = Gauge(
            "marketlink_host_notifications_in_flight", "Notifications this process has under "
            "way, per product host (host:port).", ["host"], registry=self.registry)
        self.events_due = Gauge(
            "marketlink_events_due", "Events queued and due for delivery now (read from the "
            "database: the same on every process).", registry=self.registry)
        self.oldest_due_age = Gauge(
            "marketlink_oldest_due_event_age_seconds", "How long the oldest due event has been "
            "due (0 when none is; from the database).", registry=self.registry)
        self.events_pending = Gauge(
            "marketlink_events_pending", "Events waiting for the host's asynchronous result "
            "(from the database).", registry=self.registry)

    def attempt_finished(self, outcome: str, mode: str, duration_ms: int | None,
                         created_on_ms: int, now_ms: int) -> None:
        self.deliveries.labels(outcome, mode).inc()
        if duration_ms is not None:
            self.delivery_duration.labels(mode).observe(duration_ms / 1000)
        self.delivery_latency.labels(outcome).observe(max(0, now_ms - created_on_ms) / 1000)

    def host_started(self, host: str | None) -> None:
        if host is not None:
            self.host_in_flight.labels(host).inc()

    def host_finished(self, host: str | None, still_in_flight: int) -> None:
        """``still_in_flight``: the host's notifications left; at 0 its series goes, so that
        the label set stays as small as the hosts being notified."""
        if host is None:
            return
        if still_in_flight:
            self.host_in_flight.labels(host).set(still_in_flight)
        else:
            self.host_in_flight.remove(host)

    async def page(self, conn: AsyncConnection, now_ms: int) -> tuple[bytes, str]:
        """The exposition text (and its media type), with the queue read now."""
        queue = await outbox.queue_state(conn, now_ms)
        self.events_due.set(queue.due)
        self.oldest_due_age.set(max(0, now_ms - queue.oldest_due_on) / 1000 if queue.oldest_due_on else 0)
        self.events_pending.set(queue.pending)
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
