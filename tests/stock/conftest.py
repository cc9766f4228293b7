import pytest

from schoolhq.core import settings
from schoolhq.extensions import db


@pytest.fixture(autouse=True)
def _english(request):
    """The stock tests match the services' messages in English; the Chinese catalogue
    is checked by tests/test_i18n.py."""
    if "app" not in request.fixturenames and "ctx" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        settings.update({"default_language": "en"})
        db.session.commit()
    yield
