"""Import folders one after another: `import_loop.py WORKSPACE FOLDER...`. Prints the snapshots."""

import json
import sys
import time

from shared import PAUSE

from sislab.core.importer import import_sis
from sislab.core.workspace import Workspace


def main(root: str, *folders: str) -> int:
    ws = Workspace.locate(root)
    published = []
    for folder in folders:
        # the exports alternate between sizes on purpose: the shrink is expected
        published.append(import_sis(folder, ws, user="writer", accept_shrink=True).snapshot.name)
        time.sleep(2 * PAUSE)  # stay current long enough for polling readers to see each snapshot
    print(json.dumps({"published": published}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
