"""The delivery worker: claims due events with a lease, notifies their hosts, settles them.

Runs inside ``marketlink serve`` (and, with PostgreSQL, as any number of ``marketlink worker``
processes). No transaction is held across a network call: claim (one short write), notify
(no transaction), settle (one short write, only if the lease is still ours). A host gets at
most ``http_connections_per_host`` notifications at once from a worker (claims pass over hosts
that are full), so a slow host holds back only its own events.
"""

import asyncio
import json
import os
import socket
import uuid
from dataclasses import replace
from typing import Any

import structlog

from marketlink.delivery import standard_webhooks
from marketlink.delivery.http_client import OutboundHttp
from marketlink.delivery.notify import AttemptResult, Target, notify
from marketlink.delivery.oauth2_tokens import TokenCache
from marketlink.delivery.retry_policy import next_delay_s
from marketlink.delivery.url_templates import event_url, notification_url
from marketlink.domain import deliveries, integrations, webhook_secrets
from marketlink.domain.events import EVENT_TYPE_URL_FIELD
from marketlink.domain.services import Services
from marketlink.storage import outbox
from marketlink.storage.database import Database

log = structlog.get_logger("marketlink.delivery")
MAX_IN_FLIGHT = 64
EXPIRY_EVERY_MS = 1000
VERSION_CACHE = 1000  # published snapshots kept decrypted in memory


class Worker:
    def __init__(self, db: Database, services: Services, http: OutboundHttp, *,
                 owner: str | None = None) -> None:
        self.db, self.services, self.http = db, services, http
        self.tokens = TokenCache(http, services.clock,
                                 on_failure=services.metrics.token_fetch_failures.inc)
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._in_flight: set[asyncio.Task[None]] = set()
        self._per_host: dict[str | None, int] = {}
        self._last_expiry = -EXPIRY_EVERY_MS
        self._versions: dict[str, tuple[Any, str | None]] = {}  # snapshot id -> (version, secret)
        self._settling: list[tuple[deliveries.Settlement, asyncio.Future[bool]]] = []
        self._flushing = False

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set; wakes on new events, polls otherwise."""
        while not stop.is_set():
            try:
                started = await self.start_due()
            except Exception:  # the database is away (restart, failover): try again after a poll
                log.exception("delivery.claim_failed")
                started = 0
            if not started:
                await self.services.events_queued.wait(self.services.settings.worker_poll_s)
        await self.drain()

    async def run_until_idle(self) -> None:
        """Deliver everything that is due now, and what becomes due meanwhile (tests, CLI)."""
        while await self.start_due() or self._in_flight:
            await self.drain()

    async def drain(self) -> None:
        while self._in_flight:
            await asyncio.wait(set(self._in_flight))

    async def start_due(self) -> int:
        """Claim what fits in the free slots and start delivering it; the number started."""
        await self._expire_pending()
        room = MAX_IN_FLIGHT - len(self._in_flight)
        if room <= 0:
            return 0
        settings = self.services.settings
        async with self.db.write() as conn:
            rows = await outbox.claim_due(conn, self.owner, self.services.clock.now_ms(),
                                          int(settings.lease_s * 1000),
                                          min(room, settings.worker_batch_size), self._rooms(),
                                          settings.http_connections_per_host)
        events = [dict(row) for row in rows]
        try:
            targets = await self._targets(events)
        except Exception:  # a bug: leave the leases to expire, so the events are tried again
            log.exception("delivery.targets_failed", events=len(events))
            return 0
        for event in events:
            self._start(event, targets[event["id"]])
        return len(events)

    def _start(self, event: dict[str, Any], target: "Target | None") -> None:
        host = event["target_host"]
        self._per_host[host] = self._per_host.get(host, 0) + 1
        self.services.metrics.host_started(host)
        task = asyncio.create_task(self._deliver(event, target))
        self._in_flight.add(task)
        task.add_done_callback(lambda done: self._finished(done, host))

    def _finished(self, task: asyncio.Task[None], host: str | None) -> None:
        self._in_flight.discard(task)
        self._per_host[host] -= 1
        self.services.metrics.host_finished(host, self._per_host[host])
        if not self._per_host[host]:
            del self._per_host[host]
        self.services.events_queued.notify()  # a slot is free: the host's next event may go

    def _rooms(self) -> dict[str, int]:
        """Free notification slots of each host with notifications in flight."""
        limit = self.services.settings.http_connections_per_host
        return {host: limit - n for host, n in self._per_host.items() if host is not None}

    async def _expire_pending(self) -> None:
        """At most once a second: fail PENDING events past their timeout."""
        now = self.services.clock.now_ms()
        if now - self._last_expiry < EXPIRY_EVERY_MS:
            return
        self._last_expiry = now
        async with self.db.write() as conn:
            if await deliveries.expire_pending(conn, self.services, now,
                                                 self.services.settings.worker_batch_size):
                self.services.events_queued.notify()

    async def _deliver(self, event: dict[str, Any], target: Target | None) -> None:
        structlog.contextvars.bind_contextvars(  # this task's log lines name its event
            event_id=event["id"], subscription_id=event["subscription_id"])
        try:
            started = self.services.clock.now_ms()
            if target is None:
                result = AttemptResult("SUCCEEDED", error="no URL for this event type; not sent")
            else:
                result = await notify(self.http, self.tokens, target)
                self.services.metrics.attempt_finished(
                    result.outcome, "DIRECT" if target.method == "POST" else "NOTIFY",
                    result.duration_ms, event["created_on"], self.services.clock.now_ms())
            await self._settle(event, target, result, started)
        except Exception:  # a bug: leave the lease to expire, so the event is tried again
            log.exception("delivery.failed", event_id=event["id"])

    async def _targets(self, events: list[dict[str, Any]]) -> dict[str, Target | None]:
        """Each claimed event's target. Published snapshots are immutable, so they are kept
        decrypted in memory; signing secrets are read afresh for every batch that needs them,
        so a rotation takes effect at once. No read at all when the cache has everything."""
        wanted = {e["integration_version_id"] for e in events}
        versions = {v: self._versions[v] for v in wanted if v in self._versions}
        direct = {v.integration_id for v, _ in versions.values() if v.delivery_mode == "DIRECT"}
        secrets: dict[str, list[str]] = {}
        if len(versions) < len(wanted) or direct:
            async with self.db.read() as conn:
                for version_id in wanted - versions.keys():
                    version, secret = await integrations.version_with_secret(conn, self.services, version_id)
                    versions[version_id] = (version, secret)
                    if not version.is_working:
                        self._remember(version_id, (version, secret))
                direct = {v.integration_id for v, _ in versions.values() if v.delivery_mode == "DIRECT"}
                secrets = {i: await webhook_secrets.signing_secrets(conn, self.services, i) for i in direct}
        return {e["id"]: self._target(e, *versions[e["integration_version_id"]], secrets)
                for e in events}

    def _remember(self, version_id: str, found: tuple[Any, str | None]) -> None:
        if len(self._versions) >= VERSION_CACHE:
            del self._versions[next(iter(self._versions))]
        self._versions[version_id] = found

    def _target(self, event: dict[str, Any], version: Any, secret: str | None,
                signing: dict[str, list[str]]) -> Target | None:
        template = version.urls.get(EVENT_TYPE_URL_FIELD.get(event["type"], ""))
        if not template:
            return None
        url = notification_url(template, event_url(self.services.settings.base_url, event["token"]),
                               event["token"])
        credentials = version.credentials
        target = Target(url, credentials.kind if credentials else None,
                        dict(credentials.public) if credentials else {}, secret)
        if version.delivery_mode != "DIRECT":
            return target
        body = json.dumps(event["document"]).encode()  # POST the document itself, signed with
        timestamp = self.services.clock.now_ms() // 1000  # every current secret (Standard Webhooks)
        return replace(target, method="POST", body=body, extra_headers=standard_webhooks.headers(
            signing[version.integration_id], event["id"], timestamp, body))

    async def _settle(self, event: dict[str, Any], target: Target | None, result: AttemptResult,
                      started: int) -> None:
        """Queue the attempt for the next group commit and wait for it (the event's slot stays
        taken until its outcome is written)."""
        done = asyncio.get_running_loop().create_future()
        self._settling.append((self._settlement(event, target, result, started), done))
        if not self._flushing:
            self._flushing = True
            try:
                while self._settling:
                    batch, self._settling = self._settling, []
                    await self._flush(batch)
            finally:
                self._flushing = False
        await done

    async def _flush(self, batch: list[tuple[deliveries.Settlement, asyncio.Future[bool]]]) -> None:
        try:
            async with self.db.write() as conn:
                settled = await deliveries.settle_many(conn, self.services.settings, self.owner,
                                                       [item for item, _ in batch], self.services.clock.now_ms())
        except Exception as exc:  # the leases expire and the events are tried again
            for _, done in batch:
                done.set_exception(exc)
            return
        for (_, done), ok in zip(batch, settled, strict=True):
            done.set_result(ok)
        if any(settled):
            self.services.events_queued.notify()  # subscriptions' next events may be due

    def _settlement(self, event: dict[str, Any], target: Target | None, result: AttemptResult,
                    started: int) -> deliveries.Settlement:
        settings = self.services.settings
        delay = None
        if result.outcome == "TRANSPORT_ERROR" and event["flag"] != "STATELESS":  # tests: one try
            failures = event["attempts"] + 1
            delay = next_delay_s(failures, settings.retry_schedule_s, settings.retry_jitter,
                                 retry_after_s=result.retry_after_s,
                                 retry_after_max_s=settings.retry_after_max_s)
        host = result.result
        outcome = deliveries.AttemptOutcome(
            result.outcome, success=host.success if host else None,
            account_identifier=host.account_identifier if host else None,
            user_identifier=host.user_identifier if host else None,
            error_code=host.error_code if host else None,
            message=(host.message if host else None) or result.error, retry_delay_s=delay)
        attempt = {"started_on": started, "duration_ms": result.duration_ms,
                   "url": target.url if target else "", "auth_kind": target.kind if target else None,
                   "http_status": result.http_status, "outcome": result.outcome,
                   "error": (result.error or "")[:1024] or None, "answer_excerpt": result.excerpt}
        return deliveries.Settlement(event, outcome, attempt)
