"""``gutskin serve``: the web app (FastAPI + uvicorn) on SQLite or PostgreSQL."""

from __future__ import annotations

import os

import typer

from . import app


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (behind a reverse proxy: 127.0.0.1)."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on."),
    database_url: str | None = typer.Option(None, "--database-url", help="SQLAlchemy URL, e.g. "
                                            "postgresql+psycopg://user@host/db (default: GUTSKIN_DATABASE_URL, else "
                                            "a SQLite file in GUTSKIN_HOME)."),
    workers: int = typer.Option(1, "--workers", min=1, help="Worker processes (PostgreSQL recommended for more "
                                                            "than one)."),
    proxy_headers: bool = typer.Option(False, "--proxy-headers", help="Trust X-Forwarded-For/-Proto from the "
                                                                      "proxy at --forwarded-allow-ips."),
    forwarded_allow_ips: str = typer.Option("127.0.0.1", "--forwarded-allow-ips", help="Proxy addresses trusted "
                                                                                     "for forwarded headers."),
) -> None:
    """Serve the web app: accounts, uploads, reports, questionnaire, trials and diary."""
    import uvicorn

    from ..store import migrate
    from ..web.config import WebConfig

    config = WebConfig.from_environ(os.environ, **({"database_url": database_url} if database_url else {}))
    migrate.upgrade(config.database_url)  # once, before the workers start
    if database_url:
        os.environ["GUTSKIN_DATABASE_URL"] = database_url  # workers build their config from the environment
    typer.echo(f"gutskin: serving on http://{host}:{port}/ (database {_redacted(config.database_url)})", err=True)
    uvicorn.run("gutskin.web.main:app", host=host, port=port, workers=workers, proxy_headers=proxy_headers,
                forwarded_allow_ips=forwarded_allow_ips, log_level="info", access_log=False)


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


admin_app = typer.Typer(help="Administer the web app's accounts (no self-promotion in the app: roles are set here).",
                        no_args_is_help=True)
app.add_typer(admin_app, name="admin")


@admin_app.command("create-user")
def create_user(
    email: str = typer.Option(..., "--email", help="E-mail address of the new account."),
    role: str = typer.Option("person", "--role", help="person, practitioner or admin."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from standard input "
                                                                        "(else it is asked for)."),
    database_url: str | None = typer.Option(None, "--database-url", help="As for gutskin serve."),
) -> None:
    """Create an account with a role (practitioners and admins are made only here)."""
    import sys

    from sqlalchemy import select

    from ..errors import InputError
    from ..store import Database, migrate
    from ..store.models import ROLES, Person, User
    from ..web import security
    from ..web.config import WebConfig

    if role not in ROLES:
        raise InputError(f"expected one of {', '.join(ROLES)}", field="--role")
    email = email.strip().lower()
    password = sys.stdin.readline().rstrip("\n") if password_stdin else typer.prompt(
        "Password", hide_input=True, confirmation_prompt=True)
    problem = security.password_problem(password, email)
    if problem:
        raise InputError(problem, field="password")
    config = WebConfig.from_environ(os.environ, **({"database_url": database_url} if database_url else {}))
    migrate.upgrade(config.database_url)
    db = Database(config.database_url)
    try:
        with db.transaction() as s:
            if s.scalar(select(User).where(User.email == email)) is not None:
                raise InputError("an account with this e-mail exists already", field="--email")
            user = User(email=email, password_hash=security.hash_password(password), role=role)
            s.add(user)
            s.flush()
            s.add(Person(user_id=user.id, name="me", is_self=True))
    finally:
        db.dispose()
    typer.echo(f"created {role} account {email}", err=True)
