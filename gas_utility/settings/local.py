"""Development settings: `base` with DEBUG on unless the environment says otherwise.

`scripts/serve.sh` runs with these. DEBUG gives a throwaway SECRET_KEY when none is set,
plain-text logs, and static files served from the apps; mail is printed to the console
(base's default). Never use them on a server: wsgi.py, asgi.py and Celery use `production`.
"""

import os

# Read by `base` from the environment, so it is set before `base` runs; DEBUG set in the
# process environment wins (one in `.env` does not: `base` reads that file without overwriting).
os.environ.setdefault("DEBUG", "True")

from .base import *  # noqa: F403
