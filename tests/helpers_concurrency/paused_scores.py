"""`paused_scores.py WORKSPACE FILE GATE`: `import --scores FILE`, paused once the import has
begun reading the current snapshot: it creates GATE/reading and waits for GATE/go. Prints the
snapshot it published."""

import json
import sys
import time
from pathlib import Path

from sislab.core.workspace import Workspace
from sislab.sources import caaspp


def main(root: str, path: str, gate: str) -> int:
    gate = Path(gate)
    read_scores = caaspp.read_scores

    def paused(*args):
        (gate / "reading").touch()
        while not (gate / "go").exists():
            time.sleep(0.05)
        return read_scores(*args)

    caaspp.read_scores = paused
    report, _ = caaspp.import_scores(path, Workspace.locate(root), user="coordinator")
    print(json.dumps({"published": report.snapshot.name}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
