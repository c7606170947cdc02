"""Settings come from the environment in one place, each bad value named with what to do."""

from __future__ import annotations

import pytest

from directory.config import Settings


def settings(tmp_path, **environ) -> Settings:
    return Settings.from_env({"INSTANCE_PATH": str(tmp_path), **environ})


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"TRUSTED_PROXIES": "two"}, "TRUSTED_PROXIES must be a whole number of proxies"),
        ({"TRUSTED_PROXIES": "-1"}, "TRUSTED_PROXIES must be a whole number of proxies"),
        ({"BASE_URL": "dir.example"}, "BASE_URL must start with http:// or https://"),
        ({"CATALOGUE_FILE": "no/such/file.yaml"}, "CATALOGUE_FILE"),
        ({"LOG_LEVEL": "chatty"}, "LOG_LEVEL must be one of"),
    ],
)
def test_a_bad_setting_is_reported_by_name_not_as_a_traceback(tmp_path, environ, message):
    problems = settings(tmp_path, **environ).problems()
    assert any(message in problem for problem in problems), problems


def test_good_settings_have_no_problems(tmp_path):
    found = settings(
        tmp_path, TRUSTED_PROXIES="1", BASE_URL="https://dir.example/", LOG_LEVEL="debug"
    )
    assert found.problems() == []
    assert (found.trusted_proxies, found.base_url) == (1, "https://dir.example")


def test_links_the_command_line_prints_follow_the_sites_port():
    from directory.config import Settings

    assert Settings.from_env({"PORT": "8080"}).base_url == "http://127.0.0.1:8080"
    assert Settings.from_env({}).base_url == "http://127.0.0.1:5000"
    assert Settings.from_env({"PORT": "8080", "BASE_URL": "https://x.org/"}).base_url == (
        "https://x.org"
    )
