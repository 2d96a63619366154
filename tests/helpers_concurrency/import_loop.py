"""Import folders one after another: `import_loop.py WORKSPACE FOLDER...`. Prints the snapshots."""

import json
import sys

from sislab.core.importer import import_sis
from sislab.core.workspace import Workspace


def main(root: str, *folders: str) -> int:
    ws = Workspace.locate(root)
    published = [import_sis(folder, ws, user="writer").snapshot.name for folder in folders]
    print(json.dumps({"published": published}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
