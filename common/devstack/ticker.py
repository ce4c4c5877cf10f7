"""The local stand-in for Cloud Scheduler: publish a sweep tick to the sweep topic every few seconds.

In production Cloud Scheduler publishes ``kind=sweep`` to ``agentjobs-sweep`` once a minute
(:data:`common.topology.SWEEP_SCHEDULE`); the local stack runs this process instead, more often,
so that recovery is quick to watch and to test.

Usage: ``python -m common.devstack.ticker --project P --every SECONDS`` with
``PUBSUB_EMULATOR_HOST`` set.
"""

from __future__ import annotations

import argparse
import sys
import time

__all__ = ["main"]


def main(argv: list[str]) -> int:
    """Publish a tick every ``--every`` seconds until killed."""
    parser = argparse.ArgumentParser(description="Publish sweep ticks to the local Pub/Sub emulator.")
    parser.add_argument("--project", required=True)
    parser.add_argument("--every", type=float, default=5.0)
    args = parser.parse_args(argv)

    from common.adapters.clients import publisher_client
    from common.adapters.pubsub_publisher import publish_sweep_tick
    from common.errors import AgentJobsError
    from common.topology import SWEEP_TOPIC

    publisher = publisher_client()
    topic = publisher.topic_path(args.project, SWEEP_TOPIC)
    while True:
        try:
            publish_sweep_tick(publisher, topic)
        except AgentJobsError as e:  # the emulator may be starting or stopping; the next tick tries again
            print(f"tick failed: {e.error_code}", flush=True)
        time.sleep(args.every)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
