import pytest


def pytest_configure(config):
    from django.conf import settings

    # Tests do not depend on a collectstatic run: plain storage, no manifest.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Passwords in tests need no protection; the default hasher takes ~0.3 s a user.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# In CI nothing may be skipped quietly: a skipped security test (Redis outage, two workers sharing limits,
# the browser's CSP checks) on either database would pass CI without testing anything. Only a skip that
# is right on that database is allowed, by its reason.
SKIPS_ALLOWED_IN_CI = (
    "SQLite's in-memory test database is shared by one connection",  # concurrency runs on PostgreSQL
    "prepared statements are PostgreSQL's",  # SQLite runs the same two statements plainly, in every other test
)


def pytest_sessionfinish(session, exitstatus):
    import os

    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if not os.environ.get("CI") or reporter is None:
        return
    unexpected = []
    for report in reporter.stats.get("skipped", []):
        reason = str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else str(report.longrepr)
        if not any(allowed in reason for allowed in SKIPS_ALLOWED_IN_CI):
            unexpected.append(f"{report.nodeid}: {reason}")
    if unexpected:
        reporter.write_line("CI: these tests were skipped, which CI does not allow:", red=True)
        for line in unexpected:
            reporter.write_line(f"  {line}", red=True)
        session.exitstatus = 1


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """The SQLite test database is a file, not memory: a task worker in another process must see it."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("database") / "test.sqlite3")


@pytest.fixture
def task_worker(transactional_db, tmp_path):
    """A real `manage.py run_worker` process on the test database (tests/worker_process.py).

    Work the test enqueues must be committed for the worker to see it, hence `transactional_db`.
    `task_worker.wait()` returns when every queued task is done.
    """
    from tests.worker_process import WorkerProcess

    worker = WorkerProcess(tmp_path / "worker.log").start()
    yield worker
    worker.stop()


# --- People: the users of the three jobs, signed in on the test client ---------------------------------


@pytest.fixture
def sales_user(db):
    """A member of Sales, not signed in (API tests sign with a key)."""
    from quotes import testing

    return testing.user("sam", testing.SALES)


@pytest.fixture
def seller(client, sales_user):
    """A member of Sales, signed in on `client`."""
    client.force_login(sales_user)
    return sales_user


@pytest.fixture
def editor(client):
    """A staff member of Rate editors, signed in; the fixture is the client."""
    from django.contrib.auth.models import Group, User

    user = User.objects.create_user("editor", password="pw-editor-123", is_staff=True)
    user.groups.add(Group.objects.get(name="Rate editors"))
    client.force_login(user)
    return client


@pytest.fixture
def viewer(client):
    """A staff member without any group, signed in; the fixture is the client."""
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_user("viewer", password="pw-viewer-123", is_staff=True))
    return client


@pytest.fixture
def small_tiers(db):
    """The USD card from 2027-01-01 with India utility tiers of a few messages (tests/small_tiers.py)."""
    from tests.small_tiers import publish_small_tiers

    return publish_small_tiers()


@pytest.fixture(autouse=True)
def _fresh_rate_limits(settings):
    """Each test starts with no requests counted: the sign-in limit (10 a minute from one address) is
    per client, and every browser test signs in from 127.0.0.1, so a fast run would otherwise see 429s
    that belong to earlier tests."""
    from django.core.cache import cache

    cache.clear()
