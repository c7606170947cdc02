"""Settings, read from the environment with safe defaults. No Flask here.

Every path and URL is a setting so tests can point them at a temporary folder.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from directory.mail import BACKENDS as MAIL_BACKENDS
from directory.mail import MailSettings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = PROJECT_ROOT / "data"
ENVIRONMENTS = ("development", "production")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


@dataclass(frozen=True)
class Settings:
    instance_path: Path
    database_url: str
    data_dir: Path = DEFAULT_DATA_DIR
    catalogue_path: Path | None = None  # CATALOGUE_FILE; default: $DATA_DIR/schemes.yaml
    secret_key: str | None = None
    environment: str = "development"
    log_level: str = "INFO"
    trusted_proxies: int = 0  # proxies in front that add X-Forwarded-For
    base_url: str = "http://127.0.0.1:5000"  # the site's address, for links the CLI prints
    # Mail (directory/mail.py): MAIL_BACKEND is smtp, file, console or none.
    mail_backend: str = "console"
    mail_from: str = "AHP Mentoring Directory <noreply@localhost>"
    mail_dir: Path | None = None  # MAIL_DIR, for the file backend; default instance/mail
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = True
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def catalogue_file(self) -> Path:
        """The catalogue `directory import` reads, and an empty database is filled from."""
        return self.catalogue_path or self.data_dir / "schemes.yaml"

    @property
    def vocabulary_file(self) -> Path:
        return self.data_dir / "vocabulary.yaml"

    def mail_settings(self) -> MailSettings:
        return MailSettings(
            backend=self.mail_backend,
            sender=self.mail_from,
            smtp_host=self.smtp_host,
            smtp_port=self.smtp_port,
            smtp_username=self.smtp_username,
            smtp_password=self.smtp_password,
            smtp_starttls=self.smtp_starttls,
            folder=self.mail_dir or self.instance_path / "mail",
        )

    def problems(self) -> list[str]:
        """Every setting that is wrong, each with what to do about it."""
        found = []
        if self.environment not in ENVIRONMENTS:
            found.append(
                f"DIRECTORY_ENV must be one of {', '.join(ENVIRONMENTS)}, not {self.environment!r}"
            )
        if self.log_level not in LOG_LEVELS:
            found.append(
                f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {self.log_level!r}"
            )
        if not self.database_url.startswith(
            ("sqlite://", "postgres://", "postgresql://", "postgresql+psycopg://")
        ):
            found.append(
                "DATABASE_URL must be a SQLite or PostgreSQL address, e.g. "
                "postgresql://user:password@host/dbname (got one starting "
                f"{self.database_url.split(':', 1)[0]!r})"
            )
        if self.environment == "production":
            if not self.secret_key:
                found.append(
                    "SECRET_KEY is not set: production needs a long random secret, e.g. "
                    "python -c 'import secrets; print(secrets.token_hex(32))'"
                )
            elif len(self.secret_key) < 32:
                found.append("SECRET_KEY is too short: use at least 32 random characters")
        if self.trusted_proxies < 0:
            found.append(
                "TRUSTED_PROXIES must be a whole number of proxies, 0 or more "
                f"(got {self.extra.get('TRUSTED_PROXIES')!r})"
            )
        if not self.base_url.startswith(("http://", "https://")):
            found.append(f"BASE_URL must start with http:// or https:// (got {self.base_url!r})")
        if self.mail_backend not in MAIL_BACKENDS:
            found.append(
                f"MAIL_BACKEND must be one of {', '.join(MAIL_BACKENDS)}, not {self.mail_backend!r}"
            )
        if self.mail_backend == "smtp" and not self.smtp_host:
            found.append("MAIL_BACKEND is smtp but SMTP_HOST is not set")
        if self.smtp_port <= 0:
            found.append(f"SMTP_PORT must be a port number (got {self.extra.get('SMTP_PORT')!r})")
        if self.instance_path.exists() and not os.access(self.instance_path, os.W_OK):
            found.append(f"INSTANCE_PATH {self.instance_path} is not writable")
        if not self.vocabulary_file.exists():
            found.append(f"DATA_DIR {self.data_dir} has no vocabulary.yaml")
        if not self.catalogue_file.exists():
            found.append(f"CATALOGUE_FILE {self.catalogue_file} does not exist")
        return found

    def check(self) -> None:
        """Refuse to start with a bad setting: raise ConfigError naming every problem."""
        problems = self.problems()
        if problems:
            raise ConfigError("the configuration has problems:\n  - " + "\n  - ".join(problems))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        environ = os.environ if environ is None else environ
        instance = Path(environ.get("INSTANCE_PATH") or Path.cwd() / "instance").resolve()
        database_url = environ.get("DATABASE_URL") or f"sqlite:///{instance / 'directory.sqlite3'}"
        return cls(
            instance_path=instance,
            database_url=database_url,
            data_dir=Path(environ.get("DATA_DIR") or DEFAULT_DATA_DIR).resolve(),
            catalogue_path=Path(environ["CATALOGUE_FILE"]).resolve()
            if environ.get("CATALOGUE_FILE")
            else None,
            secret_key=environ.get("SECRET_KEY") or None,
            environment=environ.get("DIRECTORY_ENV", "development"),
            log_level=environ.get("LOG_LEVEL", "INFO").upper(),
            trusted_proxies=_whole_number(environ.get("TRUSTED_PROXIES") or "0"),
            # Links the command line prints (invitations) point where scripts/site.sh
            # serves: its PORT, unless BASE_URL says otherwise.
            base_url=(
                environ.get("BASE_URL") or f"http://127.0.0.1:{environ.get('PORT') or 5000}"
            ).rstrip("/"),
            **_mail_settings(environ),
            extra={k: environ[k] for k in ("TRUSTED_PROXIES", "SMTP_PORT") if k in environ},
        )


def _mail_settings(environ: Mapping[str, str]) -> dict:
    """Production sends by SMTP when SMTP_HOST is set, and sends nothing otherwise;
    development writes mail to the log unless told otherwise."""
    production = environ.get("DIRECTORY_ENV", "development") == "production"
    default_backend = "smtp" if environ.get("SMTP_HOST") else ("none" if production else "console")
    return {
        "mail_backend": environ.get("MAIL_BACKEND") or default_backend,
        "mail_from": environ.get("MAIL_FROM") or Settings.mail_from,
        "mail_dir": Path(environ["MAIL_DIR"]).resolve() if environ.get("MAIL_DIR") else None,
        "smtp_host": environ.get("SMTP_HOST") or None,
        "smtp_port": _whole_number(environ.get("SMTP_PORT") or "587"),
        "smtp_username": environ.get("SMTP_USERNAME") or None,
        "smtp_password": environ.get("SMTP_PASSWORD") or None,
        "smtp_starttls": environ.get("SMTP_STARTTLS", "true").lower() not in ("0", "false", "no"),
    }


def _whole_number(text: str) -> int:
    """A count from the environment; -1 (reported by `problems`) if it is not one."""
    return int(text) if text.strip().isdigit() else -1


class ConfigError(RuntimeError):
    """A setting is missing or wrong; the message says which and how to fix it."""


def secret_key(settings: Settings) -> str:
    """SECRET_KEY from the environment; in development, one kept in the instance folder.

    Production refuses to start without one: sessions and reset links depend on it.
    """
    if settings.secret_key:
        return settings.secret_key
    if settings.environment == "production":
        raise ConfigError(
            "SECRET_KEY is not set. Production needs a long random secret, e.g. "
            "`export SECRET_KEY=$(python -c 'import secrets; print(secrets.token_hex(32))')`."
        )
    path = settings.instance_path / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
