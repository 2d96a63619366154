"""Hold a lock in a separate process: `hold_lock.py WORKSPACE RESOURCE USER`.

Prints one JSON line — {"held": {...holder}} or {"busy": {...holder}} (exit 3) — then, when
held, keeps the lock until stdin closes or the process is killed.
"""

import json
import sys
from dataclasses import asdict

from sislab.core import locks
from sislab.core.workspace import Workspace


def main(root: str, resource: str, user: str) -> int:
    ws = Workspace.locate(root)
    try:
        with locks.hold(ws, resource, user=user) as me:
            print(json.dumps({"held": asdict(me)}), flush=True)
            sys.stdin.read()
    except locks.Busy as busy:
        print(json.dumps({"busy": asdict(busy.holder)}), flush=True)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
