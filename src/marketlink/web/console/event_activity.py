"""``/console/integrations/{id}/activity``: delivery outcomes and latency of an integration
over the last day, as an SVG chart and the same figures as a table; the event log shows the
chart too when it is filtered by one integration."""

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from marketlink.domain.event_stats import OUTCOMES, WINDOW_HOURS, Activity, integration_activity
from marketlink.web.console.access import ConsoleUser, console_page, not_found, render
from marketlink.web.console.charts import ChartPoint, activity_chart
from marketlink.web.console.commands import when


def _hour(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%H:%M")


def chart_of(activity: Activity, chart_id: str = "activity") -> str:
    points = [ChartPoint(_hour(b.start_ms), b.counts, b.average_ms) for b in activity.buckets]
    title = f"Delivery attempts of {activity.integration.name}, last {WINDOW_HOURS} hours (UTC)"
    return activity_chart(points, OUTCOMES, title, chart_id)


async def _activity(request: Request, user: ConsoleUser, integration_id: object) -> Activity | None:
    now = request.app.state.services.clock.now_ms()
    async with request.app.state.db.read() as conn:
        return await integration_activity(conn, user.actor, integration_id, now)


async def chart_for(request: Request, user: ConsoleUser, integration_id: str | None) -> str | None:
    """The chart of the integration the event log is filtered by (None: no such filter)."""
    if integration_id is None:
        return None
    activity = await _activity(request, user, integration_id)
    return chart_of(activity) if activity else None


@console_page
async def integration_activity_page(request: Request, user: ConsoleUser) -> Response:
    activity = await _activity(request, user, request.path_params["id"])
    if activity is None:
        return not_found(request, user)
    return render(request, user, "console/events_activity.html", activity=activity,
                  chart=chart_of(activity), outcomes=OUTCOMES, hour=_hour, when=when,
                  window_hours=WINDOW_HOURS)


ROUTES = [
    Route("/console/integrations/{id}/activity", integration_activity_page, methods=["GET"]),
]
