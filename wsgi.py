"""Entry point for any WSGI server: `waitress-serve --call wsgi:create_app` or `wsgi:app`."""

from schoolhq import create_app

app = create_app()
