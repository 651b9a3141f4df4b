"""The product host of a fault run, in a process of its own: ``--hosts`` listeners on loopback
ports (each a product host of its own to MarketLink), every notification answered as
``plans.action`` says and recorded, in order of arrival, as a JSON line ``[path, token,
action]`` in ``--log``. Prints its ports as one JSON line when it listens; SIGTERM stops it.

Run: ``python -m tests.faults.fault_host --seed S --hosts 4 --log receipts.jsonl [--mix JSON]``.
"""

import argparse
import asyncio
import json
import signal
from collections import Counter
from typing import IO

from aiohttp import web

from tests.faults import plans

TIMEOUT_SLEEP_S = 8.0  # longer than the workers' MARKETLINK_HTTP_TIMEOUT_S


class FaultHost:
    def __init__(self, seed: int, mix: plans.Mix, log: IO[str]) -> None:
        self.seed, self.mix, self.log = seed, mix, log
        self.arrivals: Counter[str] = Counter()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        path, token = request.path, request.query["token"]
        fault = plans.fault_of(self.seed, self.mix, path, token)
        act = plans.action(fault, self.arrivals[token])
        self.arrivals[token] += 1
        self.log.write(json.dumps([path, token, act]) + "\n")
        if act == "reset":
            request.transport.close()  # no status line: the connection just ends
            return web.Response()
        if act == "cut":
            return await _cut(request)
        if act == "huge":
            return await _huge(request, plans.result(path, token))
        if act == "error":
            return web.Response(status=500, text="fault host: internal error")
        if act == "slow":
            await asyncio.sleep(plans.slow_delay_s(self.seed, token))
        if act == "timeout":
            await asyncio.sleep(TIMEOUT_SLEEP_S)
        if act == "refuse":
            return web.json_response({"success": False, "errorCode": "CONFIGURATION_ERROR",
                                      "message": plans.REFUSAL})
        return web.json_response(plans.result(path, token))


async def _cut(request: web.Request) -> web.StreamResponse:
    """Headers promising 1000 bytes, 14 of them, then the connection ends."""
    response = web.StreamResponse(headers={"Content-Type": "application/json", "Content-Length": "1000"})
    await response.prepare(request)
    await response.write(b'{"success": tr')
    request.transport.close()
    return response


async def _huge(request: web.Request, answer: dict) -> web.StreamResponse:
    """A valid result, 10 MiB long, streamed: only its size is wrong."""
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    await response.prepare(request)
    head = json.dumps(answer)[:-1].encode() + b', "pad": "'
    try:
        await response.write(head)
        chunk = b"x" * 65_536
        for _ in range((plans.HUGE_BYTES - len(head) - 2) // len(chunk)):
            await response.write(chunk)
        await response.write(b'"}')
    except ConnectionError:  # MarketLink hung up once past its cap
        pass
    return response


async def serve(seed: int, mix: plans.Mix, hosts: int, log_path: str) -> None:
    with open(log_path, "w", buffering=1) as log:  # a line per receipt, written as it comes
        host = FaultHost(seed, mix, log)
        app = web.Application()
        for path in plans.PATHS.values():
            app.router.add_get(path, host.handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        for _ in range(hosts):
            await web.TCPSite(runner, "127.0.0.1", 0).start()
        print(json.dumps([address[1] for address in runner.addresses]), flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--hosts", type=int, default=4)
    parser.add_argument("--log", required=True)
    parser.add_argument("--mix", default="{}", help="plans.Mix fields as JSON")
    args = parser.parse_args()
    asyncio.run(serve(args.seed, plans.Mix(**json.loads(args.mix)), args.hosts, args.log))


if __name__ == "__main__":
    main()
