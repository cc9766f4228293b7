"""Entry point for any WSGI server: `waitress-serve --call wsgi:create_app` or `wsgi:app`."""

import gc

from schoolhq import create_app

app = create_app()

# Long-lived objects stay out of the collector's full passes (see bench/README.md).
gc.collect()
gc.freeze()
