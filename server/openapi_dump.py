"""Print the server's OpenAPI document, as the running app serves it at ``/openapi.json``.

``python -m server.openapi_dump [FILE]`` builds the app with :func:`server.app.create_app` (no
database or broker is contacted) and writes the document as sorted, indented JSON to FILE or
stdout. The web app generates its typed API client from this output (``npm run gen:api``).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def openapi_document() -> dict[str, Any]:
    # Imported here so `--help` and `--check` argument errors answer without building the app.
    from server.app import create_app

    return create_app().openapi()


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    text = json.dumps(openapi_document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if args:
        Path(args[0]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
