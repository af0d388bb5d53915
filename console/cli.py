"""The `eoc` command line: serve, demo, user, unit, check-config, db."""

from __future__ import annotations

import asyncio
import logging
import socket
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click
import uvicorn
from pydantic import ValidationError
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from console import __version__
from console.accounts import AccountError, add_unit, add_user, set_password
from console.auth.password_policy import PasswordPolicy
from console.errors import StartupError
from console.services import Services
from console.settings import (
    ConfigFileError,
    Settings,
    check_site_file,
    describe_errors,
    load_settings,
)
from console.store.engine import DataDirLock, explain_db_error, prepare_data_dir
from console.store.models import Unit, User

out = Console()
err = Console(stderr=True, soft_wrap=True)
T = TypeVar("T")


def _settings(**kw: Any) -> Settings:
    try:
        return load_settings(kw.pop("config", None), **kw)
    except ConfigFileError as exc:
        for line in exc.problems:
            err.print(f"[red]{exc.path}[/red]: {line}")
        raise SystemExit(2) from exc
    except ValidationError as exc:
        for line in describe_errors(exc):
            err.print(f"[red]settings[/red]: {line}")
        raise SystemExit(2) from exc


def _run(fn: Callable[[Services], Awaitable[T]], settings: Settings) -> T:
    """Run `fn` with migrated services, turning start-up problems into clean messages."""

    async def go() -> T:
        prepare_data_dir(settings.data_dir)
        services = Services.build(settings)
        # The data-dir lock guards the embedded SQLite file; on PostgreSQL the CLI may run
        # beside serving nodes (they take the database's node lock instead).
        lock = DataDirLock(settings.data_dir) if settings.is_sqlite else None
        if lock is not None:
            lock.acquire()
        try:
            await services.store.upgrade()
            async with services.store.session() as db:
                await services.units.load(db)
            return await fn(services)
        finally:
            await services.store.close()
            if lock is not None:
                lock.release()

    try:
        return asyncio.run(go())
    except (StartupError, AccountError) as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise SystemExit(2) from exc
    except DBAPIError as exc:
        err.print(f"[red]error:[/red] {explain_db_error(exc, settings)}")
        raise SystemExit(2) from exc


async def _tell_nodes(services: Services, cache: str) -> None:
    """Have running nodes reload `cache` (clustered: over NATS; else they share no bus)."""
    if not services.clustered:
        return
    await services.bus.start()
    try:
        await services.caches.invalidate(cache)
    finally:
        await services.bus.close()


def _check_port(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            err.print(f"[red]error:[/red] cannot listen on {host}:{port}: {exc.strerror}")
            raise SystemExit(2) from exc


def _logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.server.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def _serve(settings: Settings, host: str, port: int) -> None:
    from console.app import create_app

    _check_port(host, port)
    _logging(settings)
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=settings.server.log_level,
        proxy_headers=False,
        ws_max_size=1 << 20,
    )
    server = uvicorn.Server(config)
    try:
        server.run()
    except StartupError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise SystemExit(2) from exc
    if not server.started:
        raise SystemExit(3)


def _common(fn: Callable[..., Any]) -> Callable[..., Any]:
    for opt in reversed(
        [
            click.option(
                "--data-dir",
                type=click.Path(path_type=Path),
                envvar="EOC_DATA_DIR",
                help="Folder for the database, secret and media. [env EOC_DATA_DIR]",
            ),
            click.option(
                "--config",
                type=click.Path(path_type=Path, exists=True, dir_okay=False),
                envvar="EOC_CONFIG",
                help="TOML/YAML site file. [env EOC_CONFIG]",
            ),
            click.option(
                "--database-url",
                envvar="EOC_DATABASE_URL",
                help="Database URL (default: SQLite in the data dir). [env EOC_DATABASE_URL]",
            ),
        ]
    ):
        fn = opt(fn)
    return fn


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="eoc")
def main() -> None:
    """EOC Console: video surveillance and earthquake preparedness for a district EOC."""


@main.command()
@_common
@click.option("--host", envvar="EOC_HOST", help="Address to listen on. [env EOC_HOST]")
@click.option("--port", type=int, envvar="EOC_PORT", help="TCP port. [env EOC_PORT]")
def serve(
    data_dir: Path | None,
    config: Path | None,
    database_url: str | None,
    host: str | None,
    port: int | None,
) -> None:
    """Serve the console for an existing (or new, empty) data dir."""
    settings = _settings(config=config, data_dir=data_dir, database_url=database_url)
    _logging(settings)  # so migrations are logged too
    _run(lambda s: asyncio.sleep(0), settings)
    _serve(
        settings, host or settings.server.host, port if port is not None else settings.server.port
    )


@main.command()
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path),
    default=Path("eoc-demo"),
    show_default=True,
    envvar="EOC_DATA_DIR",
    help="Folder for the demo district. [env EOC_DATA_DIR]",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    envvar="EOC_HOST",
    help="Address to listen on. [env EOC_HOST]",
)
@click.option(
    "--port",
    type=int,
    default=8000,
    show_default=True,
    envvar="EOC_PORT",
    help="TCP port. [env EOC_PORT]",
)
@click.option(
    "--no-open",
    is_flag=True,
    envvar="EOC_NO_OPEN",
    help="Do not try to open a browser. [env EOC_NO_OPEN]",
)
@click.option("--no-serve", is_flag=True, help="Create the demo data and exit.")
def demo(data_dir: Path, host: str, port: int, no_open: bool, no_serve: bool) -> None:
    """Create a demo district (units, a user per role, sample data) and serve it."""
    from console.demo import DEMO_PASSWORD, seed_demo
    from console.modules import installed_modules

    settings = _settings(data_dir=data_dir, demo=True)

    async def go(services: Services) -> list[tuple[str, str, str, list[str]]]:
        with Progress(
            SpinnerColumn(), TextColumn("{task.description}"), console=out, transient=True
        ) as progress:
            task = progress.add_task("creating the demo district", total=None)
            return await seed_demo(
                services,
                installed_modules(),
                lambda name: progress.update(task, description=f"demo: {name}"),
            )

    logins = _run(go, settings)
    table = Table(title="Demo logins / 演示账号", show_lines=False)
    for col in ("user", "name", "unit", "roles", "password"):
        table.add_column(col)
    for username, display, unit, roles in logins:
        table.add_row(username, display, unit, ",".join(roles), DEMO_PASSWORD)
    out.print(table)
    out.print(f"Open [bold]http://{host}:{port}/[/bold]  (data in {data_dir.resolve()})")
    if not no_serve:
        _serve(settings, host, port)


@main.group()
def user() -> None:
    """Manage users."""


@user.command("add")
@_common
@click.argument("username")
@click.option("--unit", "unit_code", required=True, help="Unit code, e.g. psb.")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    help="Role (repeat for several): admin, operator, coordinator, maintenance, viewer.",
)
@click.option("--display-name", default="", help="Name shown in the console.")
@click.password_option(envvar="EOC_NEW_PASSWORD", help="Password. [env EOC_NEW_PASSWORD]")
def user_add(
    data_dir: Path | None,
    config: Path | None,
    database_url: str | None,
    username: str,
    unit_code: str,
    roles: tuple[str, ...],
    display_name: str,
    password: str,
) -> None:
    """Add a user."""
    settings = _settings(config=config, data_dir=data_dir, database_url=database_url)

    async def go(services: Services) -> None:
        async with services.store.session() as db, db.begin():
            await add_user(
                db,
                username,
                password,
                unit_code,
                list(roles),
                display_name=display_name,
                policy=PasswordPolicy.of(settings.security),
            )

    _run(go, settings)
    out.print(f"added user {username}")


@user.command("passwd")
@_common
@click.argument("username")
@click.password_option(envvar="EOC_NEW_PASSWORD", help="New password. [env EOC_NEW_PASSWORD]")
def user_passwd(
    data_dir: Path | None,
    config: Path | None,
    database_url: str | None,
    username: str,
    password: str,
) -> None:
    """Set a user's password."""
    settings = _settings(config=config, data_dir=data_dir, database_url=database_url)

    async def go(services: Services) -> None:
        async with services.store.session() as db, db.begin():
            await set_password(db, username, password, policy=PasswordPolicy.of(settings.security))

    _run(go, settings)
    out.print(f"password changed for {username}")


@user.command("list")
@_common
def user_list(data_dir: Path | None, config: Path | None, database_url: str | None) -> None:
    """List users."""
    settings = _settings(config=config, data_dir=data_dir, database_url=database_url)

    async def go(services: Services) -> list[User]:
        async with services.store.session() as db:
            return list(await db.scalars(select(User).order_by(User.username)))

    table = Table()
    for col in ("user", "name", "unit", "roles", "disabled", "last login"):
        table.add_column(col)
    for u in _run(go, settings):
        table.add_row(
            u.username,
            u.display_name,
            u.unit.code,
            ",".join(u.roles),
            "yes" if u.disabled else "",
            u.last_login_at.isoformat() if u.last_login_at else "",
        )
    out.print(table)


@main.group()
def unit() -> None:
    """Manage units (departments)."""


@unit.command("add")
@_common
@click.argument("code")
@click.argument("name")
@click.option("--name-en", default="", help="English name.")
@click.option(
    "--kind",
    default="department",
    show_default=True,
    type=click.Choice(
        ["district", "police", "earthquake_office", "street_office", "department", "other"]
    ),
    help="Kind of unit.",
)
@click.option("--parent", default=None, help="Parent unit code.")
def unit_add(
    data_dir: Path | None,
    config: Path | None,
    database_url: str | None,
    code: str,
    name: str,
    name_en: str,
    kind: str,
    parent: str | None,
) -> None:
    """Add a unit."""
    settings = _settings(config=config, data_dir=data_dir, database_url=database_url)

    async def go(services: Services) -> None:
        async with services.store.session() as db, db.begin():
            await add_unit(db, code, name, name_en=name_en, kind=kind, parent=parent)
        await _tell_nodes(services, "units")

    _run(go, settings)
    out.print(f"added unit {code}")


@unit.command("list")
@_common
def unit_list(data_dir: Path | None, config: Path | None, database_url: str | None) -> None:
    """List units."""
    settings = _settings(config=config, data_dir=data_dir, database_url=database_url)

    async def go(services: Services) -> list[Unit]:
        async with services.store.session() as db:
            return list(await db.scalars(select(Unit).order_by(Unit.id)))

    table = Table()
    for col in ("id", "code", "name", "kind", "parent"):
        table.add_column(col)
    for u in _run(go, settings):
        table.add_row(str(u.id), u.code, u.name, u.kind, str(u.parent_id or ""))
    out.print(table)


@main.command("check-config")
@click.argument("file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
def check_config(file: Path) -> None:
    """Validate a site file; print every bad key with its path."""
    try:
        problems = check_site_file(file)
    except ConfigFileError as exc:
        problems = exc.problems
    if problems:
        for line in problems:
            err.print(f"{file}: {line}")
        raise SystemExit(1)
    out.print(f"{file}: ok")


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@_common
def db_upgrade(data_dir: Path | None, config: Path | None, database_url: str | None) -> None:
    """Apply pending migrations."""
    settings = _settings(config=config, data_dir=data_dir, database_url=database_url)

    async def go(services: Services) -> str | None:
        return await services.store.upgrade()

    out.print(f"database at revision {_run(go, settings)}")


def _register() -> None:
    from console.quake_cli import quake

    main.add_command(quake)


_register()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
